import {
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  type Node as YamlNode,
} from "yaml";
import type { DiagnosticList, Pos } from "./diagnostic.js";
import {
  formatBytes,
  MAX_DEPTH,
  MAX_DOCUMENTS,
  MAX_FILE_BYTES,
  NODE_BUDGET,
  PRESCAN_DEPTH,
  SCALAR_BUDGET,
} from "./limits.js";
import { scanNesting } from "./nesting-scan.js";

/**
 * The YAML adapter: text → per-document trees of plain values that remember where each one was
 * written. Everything the `yaml` package reports (syntax errors, unknown tags) becomes a
 * diagnostic here; aliases and merge keys are expanded here, under budgets, so nothing downstream
 * sees `yaml` types and no input can make the expansion explode. Every step is linear in the size
 * of the text (duplicate keys and aliases are resolved here with maps, not by the package's
 * per-key and per-alias scans), and the bounds of limits.ts are enforced before the step they
 * protect.
 */

export type YNode =
  | { kind: "map"; pos: Pos; entries: Map<string, YEntry> }
  | { kind: "seq"; pos: Pos; items: YNode[] }
  /** `value` is whatever the YAML core schema made of the scalar: string, number, boolean, null, or bytes for `!!binary`. */
  | { kind: "scalar"; pos: Pos; value: unknown }
  /** A node that could not be built (bad alias, budget spent); already reported, so rules skip it silently. */
  | { kind: "broken"; pos: Pos };

export interface YEntry {
  keyPos: Pos;
  node: YNode;
}

export interface ParsedDocument {
  /** Position of the document among all YAML documents of the file, from 0 (empty ones count). */
  index: number;
  root: YNode;
}

const REMEDIES: Record<string, string> = {
  BAD_INDENT: "indent the line like its siblings (spaces, not tabs)",
  TAB_AS_INDENT: "indent with spaces; YAML does not allow tabs for indentation",
  MISSING_CHAR: "add the missing closing character",
  // Both come, at the key before it, from a line indented deeper than its siblings (`name: x` then
  // `   labels: …`); the first alone from `a: b: c` on one line.
  BLOCK_AS_IMPLICIT_KEY:
    "a value here holds 'key: value': indent the next key like its siblings, or put an inner key on a line of its own",
  MULTILINE_IMPLICIT_KEY: "the next line is indented deeper than this key: indent it like its siblings",
};

const TOO_DEEP = `nesting goes deeper than ${MAX_DEPTH} levels of mappings and lists`;
const TOO_DEEP_REMEDY = "flatten the structure: kuke's manifests nest at most 8 levels";

/**
 * Parses every document of one file. Documents with YAML errors are reported and left out; empty
 * documents (only comments, or `---` followed by `...`) are skipped silently. A file over a bound
 * of limits.ts (size, documents, nesting) is reported and yields nothing, or only its documents
 * within the bounds.
 */
export function parseYamlDocuments(file: string, text: string, diags: DiagnosticList): ParsedDocument[] {
  const fail = (line: number, column: number, documentIndex: number, code: string, message: string, remedy: string) =>
    diags.add("error", { file, line, column, documentIndex }, { code, path: "", message, remedy });
  // Readers stop one byte past the bound (sources.ts), so a huge file arrives cut, not whole.
  if (text.length > MAX_FILE_BYTES || Buffer.byteLength(text, "utf8") > MAX_FILE_BYTES) {
    fail(
      1,
      1,
      0,
      "file-too-large",
      `the file is larger than ${formatBytes(MAX_FILE_BYTES)}, the most kuke reads per file`,
      "split the manifest into several files and pass each with -f",
    );
    return [];
  }
  const deep = scanNesting(text, PRESCAN_DEPTH);
  if (deep !== undefined) {
    fail(deep.line, deep.column, deep.documentIndex, "too-deep", TOO_DEEP, TOO_DEEP_REMEDY);
    return [];
  }

  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  /** Documents too deep to compose, by index, with where the limit was passed. */
  const tooDeep = new Map<number, number>();
  try {
    const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
    let count = 0;
    for (const [i, token] of tokens.entries()) {
      if (token.type !== "document") continue;
      if (++count > MAX_DOCUMENTS) {
        const p = lineCounter.linePos(token.offset);
        fail(
          p.line,
          p.col,
          count - 1,
          "too-many-documents",
          `the file has more than ${MAX_DOCUMENTS} YAML documents`,
          "split the manifest into several files and pass each with -f",
        );
        return [];
      }
      const at = token.value === undefined ? undefined : deeperThan(token.value, MAX_DEPTH);
      if (at !== undefined) {
        tooDeep.set(count - 1, at);
        // The composer recurses per level: give it the document without its contents.
        tokens[i] = { ...token, value: undefined };
      }
    }
    docs = Array.from(new Composer({ merge: true, uniqueKeys: false }).compose(tokens));
  } catch (e) {
    // The parser is documented to report problems as errors, not throw; if it ever does, the file
    // is unusable and the user still gets a position instead of a crash.
    fail(
      1,
      1,
      0,
      "yaml-syntax",
      `cannot parse YAML (${e instanceof Error ? e.name : "unknown failure"})`,
      "check that the file is UTF-8 YAML text",
    );
    return [];
  }
  const posOf = (offset: number | undefined): Pos => {
    const p = lineCounter.linePos(Math.max(0, Math.min(offset ?? 0, text.length)));
    return { line: p.line, column: p.col };
  };

  const budget: Budget = { nodes: NODE_BUDGET, chars: SCALAR_BUDGET, reported: new Set() };
  const out: ParsedDocument[] = [];
  docs.forEach((doc, index) => {
    const at = (offset: number | undefined) => ({ file, ...posOf(offset), documentIndex: index });
    const deepAt = tooDeep.get(index);
    if (deepAt !== undefined) {
      diags.add("error", at(deepAt), { code: "too-deep", path: "", message: TOO_DEEP, remedy: TOO_DEEP_REMEDY });
      return;
    }
    for (const w of doc.warnings) {
      diags.add("warning", at(w.pos[0]), {
        code: "yaml-warning",
        path: "",
        message: w.message,
        remedy: "remove the tag or use a standard one (!!str, !!int, !!bool)",
      });
    }
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        diags.add("error", at(e.pos[0]), {
          code: "yaml-syntax",
          path: "",
          // One parser message quotes the source after a block scalar header, which could be a secret.
          message: `YAML: ${e.message.replace(/(extra characters):.*$/s, "$1")}`,
          remedy: REMEDIES[e.code] ?? "fix the YAML syntax at this place",
        });
      }
      return;
    }
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) return;
    const builder = new TreeBuilder(contents, posOf, budget, (pos, code, message, remedy) =>
      diags.add("error", { file, ...pos, documentIndex: index }, { code, path: "", message, remedy }),
    );
    out.push({ index, root: builder.build(contents, posOf(contents.range?.[0]), 0) });
  });
  return out;
}

/** The offset where collections nest deeper than `limit` under `root` (a CST token), or undefined. */
function deeperThan(root: CST.Token, limit: number): number | undefined {
  const stack: [CST.Token, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (token.type !== "block-map" && token.type !== "block-seq" && token.type !== "flow-collection") continue;
    if (depth + 1 > limit) return token.offset;
    for (const item of token.items) {
      if (item.key) stack.push([item.key, depth + 1]);
      if (item.value) stack.push([item.value, depth + 1]);
    }
  }
  return undefined;
}

/** What may still be expanded in one file; each exhausted budget is reported once. */
interface Budget {
  nodes: number;
  chars: number;
  reported: Set<string>;
}

type Report = (pos: Pos, code: string, message: string, remedy: string) => void;

class TreeBuilder {
  /** Nodes being built right now: reaching one again through an alias is a cycle. */
  private readonly active = new Set<unknown>();
  /** Each alias's anchor, found in one pass (the `yaml` package scans the document per alias). */
  private readonly targets: Map<unknown, unknown>;
  private deepReported = false;

  constructor(
    contents: unknown,
    private readonly posOf: (offset: number | undefined) => Pos,
    private readonly budget: Budget,
    private readonly report: Report,
  ) {
    this.targets = aliasTargets(contents);
  }

  /** Builds `node` at nesting `depth` (collections above it). */
  build(node: unknown, fallback: Pos, depth: number): YNode {
    const pos = hasRange(node) ? this.posOf(node.range[0]) : fallback;
    if (--this.budget.nodes < 0) return this.spent(pos, "nodes", `the file expands to more than ${NODE_BUDGET} nodes`);
    if (node === null || node === undefined) return { kind: "scalar", pos, value: null };
    if (isAlias(node)) {
      const target = this.targets.get(node);
      if (target === undefined) {
        this.report(
          pos,
          "yaml-structure",
          `alias *${node.source} refers to no anchor`,
          `define &${node.source} before using it`,
        );
        return { kind: "broken", pos };
      }
      // Mappings and lists guard themselves against cycles; a scalar cannot contain anything.
      return this.build(target, pos, depth);
    }
    if (isScalar(node)) {
      const v = node.value;
      const size = typeof v === "string" ? v.length : v instanceof Uint8Array ? v.length : 0;
      this.budget.chars -= size;
      if (this.budget.chars < 0) {
        return this.spent(pos, "chars", `the file expands to more than ${formatBytes(SCALAR_BUDGET)} of text`);
      }
      return { kind: "scalar", pos, value: v };
    }
    if (!isSeq(node) && !isMap(node)) {
      this.report(pos, "yaml-structure", "unsupported YAML node", "write plain mappings, lists and scalars");
      return { kind: "broken", pos };
    }
    if (depth >= MAX_DEPTH) {
      if (!this.deepReported) {
        this.deepReported = true;
        this.report(pos, "too-deep", `${TOO_DEEP} once aliases are expanded`, TOO_DEEP_REMEDY);
      }
      return { kind: "broken", pos };
    }
    if (isSeq(node))
      return this.guarded(node, pos, () => ({
        kind: "seq",
        pos,
        items: node.items.map((i) => this.build(i, pos, depth + 1)),
      }));
    return this.guarded(node, pos, () => this.buildMap(node.items, pos, depth + 1));
  }

  private spent(pos: Pos, which: "nodes" | "chars", message: string): YNode {
    if (!this.budget.reported.has(which)) {
      this.budget.reported.add(which);
      this.report(pos, "yaml-structure", message, "use fewer aliases or split the file");
    }
    return { kind: "broken", pos };
  }

  private guarded(node: unknown, pos: Pos, fn: () => YNode): YNode {
    if (this.active.has(node)) {
      this.report(pos, "yaml-structure", "alias refers to a node that contains it", "remove the recursive alias");
      return { kind: "broken", pos };
    }
    this.active.add(node);
    try {
      return fn();
    } finally {
      this.active.delete(node);
    }
  }

  private buildMap(pairs: readonly { key: unknown; value: unknown }[], pos: Pos, depth: number): YNode {
    const entries = new Map<string, YEntry>();
    const merges: { value: unknown; pos: Pos }[] = [];
    for (const pair of pairs) {
      const keyPos = hasRange(pair.key) ? this.posOf(pair.key.range[0]) : pos;
      if (isScalar(pair.key) && typeof pair.key.value === "symbol") {
        merges.push({ value: pair.value, pos: keyPos });
        continue;
      }
      const key = scalarKey(pair.key);
      if (key === undefined) {
        this.report(keyPos, "yaml-structure", "mapping keys must be plain strings", "write the key as a plain word");
        continue;
      }
      const first = entries.get(key);
      if (first !== undefined) {
        this.report(
          keyPos,
          "duplicate-key",
          `key '${key.length > 80 ? `${key.slice(0, 80)}…` : key}' is repeated (first at line ${first.keyPos.line})`,
          "remove or rename one of the repeated keys",
        );
        continue;
      }
      entries.set(key, { keyPos, node: this.build(pair.value, keyPos, depth) });
    }
    // YAML merge keys: explicit keys win, then earlier merge sources over later ones.
    for (const m of merges) {
      const sources = isSeq(m.value) ? m.value.items : [m.value];
      for (const s of sources) {
        // The merged mapping takes the place of this one, at the same depth.
        const merged = this.build(s, m.pos, depth - 1);
        if (merged.kind === "broken") continue;
        if (merged.kind !== "map") {
          this.report(
            m.pos,
            "yaml-structure",
            "a merge key (<<) needs a mapping or an alias of one",
            "merge only mappings",
          );
          continue;
        }
        for (const [k, v] of merged.entries) if (!entries.has(k)) entries.set(k, v);
      }
    }
    return { kind: "map", pos, entries };
  }
}

/**
 * Every alias of a document mapped to its anchor: the last node with that anchor before the alias
 * in document order (YAML's rule), in one iterative pass.
 */
function aliasTargets(contents: unknown): Map<unknown, unknown> {
  const out = new Map<unknown, unknown>();
  const anchors = new Map<string, unknown>();
  const stack: unknown[] = [contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target !== undefined) out.set(node, target);
      continue;
    }
    const anchor = (node as { anchor?: unknown } | null)?.anchor;
    if (typeof anchor === "string") anchors.set(anchor, node);
    if (isSeq(node)) for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
    else if (isMap(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) {
        const pair = node.items[i]!;
        stack.push(pair.value, pair.key);
      }
    }
  }
  return out;
}

function hasRange(node: unknown): node is YamlNode & { range: [number, number, number] } {
  return typeof node === "object" && node !== null && Array.isArray((node as { range?: unknown }).range);
}

function scalarKey(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const v = key.value;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(key.source ?? v);
  return undefined;
}

/** The node under `keys` (mapping keys from `node`), or undefined when any step is missing. */
export function nodeAt(node: YNode, keys: readonly string[]): YNode | undefined {
  let cur: YNode | undefined = node;
  for (const k of keys) cur = cur?.kind === "map" ? cur.entries.get(k)?.node : undefined;
  return cur;
}
