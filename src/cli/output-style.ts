import { Chalk } from "chalk";
import type { Style } from "../manifest/index.js";

/** A stream as commands see it: the context's stdout/stderr (fake ones in tests). */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * Colour only for a terminal, and never when NO_COLOR (any non-empty value, per no-color.org) or
 * --no-color is set. Decided per stream: piping stdout keeps stderr coloured and vice versa.
 */
export function wantsColor(
  stream: OutputStream,
  env: Record<string, string | undefined>,
  noColorFlag: boolean,
): boolean {
  return !noColorFlag && (env.NO_COLOR ?? "") === "" && stream.isTTY === true;
}

/** The diagnostic style for `stream`: red errors, yellow warnings, dim remedies, or plain text. */
export function diagnosticStyle(colored: boolean): Style {
  const c = new Chalk({ level: colored ? 1 : 0 });
  return { error: (t) => c.red.bold(t), warning: (t) => c.yellow.bold(t), dim: (t) => c.dim(t) };
}
