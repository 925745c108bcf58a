import { createInterface } from "node:readline";
import type { OutputStream } from "./output-style.js";

/** Whether kuke can ask a person: standard input is a terminal. */
export function canPrompt(stdin: NodeJS.ReadableStream): boolean {
  return (stdin as { isTTY?: boolean }).isTTY === true;
}

/**
 * Asks Terraform's question and reads one line from `stdin`; only `yes` approves. End of input
 * (Ctrl-D) is a no.
 */
export async function askApproval(
  stdin: NodeJS.ReadableStream,
  out: OutputStream,
  question: string,
  explanation: string,
): Promise<boolean> {
  out.write(`\n${question}\n  ${explanation}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `);
  const rl = createInterface({ input: stdin, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once("line", resolve);
      rl.once("close", () => resolve(""));
    });
    out.write("\n");
    return answer.trim() === "yes";
  } finally {
    rl.close();
  }
}
