/**
 * A quick, linear look at a YAML text before the real parser sees it: an upper bound on how deep
 * its mappings and lists nest. The `yaml` parser spends a lot per nesting level (seconds for a
 * file of `[[[[…`), so a text whose bound is absurd is refused without parsing. The bound counts
 * open flow brackets plus, in block context, one level per indentation step and per `-`, `?` or
 * `:` indicator on a line; quoted strings, comments and block scalars are skipped. It over-counts
 * (about two per real block level), never matters for real manifests, and the exact depth is
 * checked again on the parser's output.
 */

export interface ScanStop {
  line: number;
  column: number;
  /** Documents started before this point (from 0), counting `---` markers. */
  documentIndex: number;
}

const SPACE = new Set([" ", "\t", "\r", "\n"]);

/** Where the nesting bound first exceeds `limit`, or undefined when it never does. */
export function scanNesting(text: string, limit: number): ScanStop | undefined {
  const n = text.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let flow = 0;
  let documentIndex = 0;
  let started = false;
  const indents: number[] = [];

  const stop = (at: number): ScanStop => ({ line, column: at - lineStart + 1, documentIndex });
  const newline = (at: number) => {
    line++;
    lineStart = at + 1;
  };
  /** Skips a quoted scalar starting at `i` (the quote); returns the index after it. */
  const skipQuoted = (q: string): number => {
    let j = i + 1;
    while (j < n) {
      const c = text[j]!;
      if (c === "\n") newline(j);
      else if (q === '"' && c === "\\") j++;
      else if (c === q) {
        // '' inside single quotes is an escaped quote
        if (q === "'" && text[j + 1] === "'") j++;
        else return j + 1;
      }
      j++;
    }
    return n;
  };

  while (i < n) {
    // Start of a line: indentation, blank and comment lines, document markers.
    let indent = 0;
    while (i + indent < n && text[i + indent] === " ") indent++;
    i += indent;
    const first = text[i];
    if (first === undefined) break;
    if (first === "\n" || first === "#" || (first === "\r" && text[i + 1] === "\n")) {
      const eol = text.indexOf("\n", i);
      if (eol < 0) break;
      newline(eol);
      i = eol + 1;
      continue;
    }
    if (flow === 0 && indent === 0 && (text.startsWith("---", i) || text.startsWith("...", i))) {
      const after = text[i + 3];
      if (after === undefined || SPACE.has(after)) {
        indents.length = 0;
        if (text[i] === "-") {
          if (started) documentIndex++;
          started = true;
        }
        i += 3;
      }
    }
    started = true;
    if (flow === 0) {
      while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
      if (indents.length > limit) return stop(i);
    }
    // The rest of the line, token by token.
    let tokenStart = true;
    while (i < n) {
      const c = text[i]!;
      if (c === "\n") {
        newline(i);
        i++;
        break;
      }
      if (SPACE.has(c)) {
        tokenStart = true;
        i++;
        continue;
      }
      if (c === "#" && tokenStart) {
        const eol = text.indexOf("\n", i);
        i = eol < 0 ? n : eol;
        continue;
      }
      if ((c === '"' || c === "'") && tokenStart) {
        i = skipQuoted(c);
        tokenStart = false;
        continue;
      }
      if ((c === "[" || c === "{") && (tokenStart || flow > 0)) {
        flow++;
        if (indents.length + flow > limit) return stop(i);
        i++;
        tokenStart = true;
        continue;
      }
      if ((c === "]" || c === "}") && flow > 0) {
        flow--;
        i++;
        tokenStart = false;
        continue;
      }
      if (c === "," && flow > 0) {
        i++;
        tokenStart = true;
        continue;
      }
      const next = text[i + 1];
      const indicator = next === undefined || SPACE.has(next);
      if (flow === 0 && indicator && (c === ":" || ((c === "-" || c === "?") && tokenStart))) {
        indents.push(i - lineStart + 1);
        if (indents.length > limit) return stop(i);
        i++;
        tokenStart = true;
        continue;
      }
      if (flow === 0 && tokenStart && (c === "|" || c === ">")) {
        // A block scalar: its lines are text, however they look, while they are more indented.
        i = skipBlockScalar(text, i, indent, newline);
        break;
      }
      tokenStart = false;
      i++;
    }
  }
  return undefined;
}

/** Skips from a block scalar header at `i` to the first line indented `indent` or less. */
function skipBlockScalar(text: string, i: number, indent: number, newline: (at: number) => void): number {
  let eol = text.indexOf("\n", i);
  while (eol >= 0) {
    newline(eol);
    let j = eol + 1;
    let spaces = 0;
    while (text[j] === " ") {
      spaces++;
      j++;
    }
    const c = text[j];
    const blank = c === "\n" || (c === "\r" && text[j + 1] === "\n");
    if (!blank && (c === undefined || spaces <= indent)) return eol + 1;
    eol = text.indexOf("\n", j);
  }
  return text.length;
}
