import { isKukeError } from "../model/index.js";
import type { OutputStream } from "./output-style.js";

/**
 * Prints a failure and returns the exit code. A KukeError is the user's to fix: its formatted
 * text, no stack. Anything else is kuke's fault and says so, with the stack for the report.
 */
export function reportError(e: unknown, stderr: OutputStream): number {
  if (isKukeError(e)) {
    stderr.write(`${e.format()}\n`);
    return e.exitCode;
  }
  const detail = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
  stderr.write(`kuke: this is a bug; please report it with the text below\n${detail}\n`);
  return 1;
}
