import { createInterface } from "node:readline";
import type { OutputStream } from "./output-style.js";

/** Whether kuke can ask a person: standard input is a terminal. */
export function canPrompt(stdin: NodeJS.ReadableStream): boolean {
  return (stdin as { isTTY?: boolean }).isTTY === true;
}

/**
 * Asks Terraform's question and reads one line from `stdin`; only `yes` approves. End of input
 * (Ctrl-D) is a no, and so is `signal` aborting (Ctrl-C): the caller must not wait on a prompt
 * nobody will answer while it holds the lock.
 */
export async function askApproval(
  stdin: NodeJS.ReadableStream,
  out: OutputStream,
  question: string,
  explanation: string,
  signal?: AbortSignal,
): Promise<boolean> {
  if (signal?.aborted) return false;
  out.write(`\n${question}\n  ${explanation}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `);
  const rl = createInterface({ input: stdin, terminal: false });
  try {
    let onAbort: (() => void) | undefined;
    const answer = await new Promise<string | undefined>((resolve) => {
      rl.once("line", resolve);
      rl.once("close", () => resolve(""));
      onAbort = () => resolve(undefined);
      signal?.addEventListener("abort", onAbort, { once: true });
      // Ctrl-C may have come while the question was being written.
      if (signal?.aborted) resolve(undefined);
    });
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    if (answer === undefined) return false;
    out.write("\n");
    return answer.trim() === "yes";
  } finally {
    rl.close();
  }
}
