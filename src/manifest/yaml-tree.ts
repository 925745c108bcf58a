import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Node as YamlNode,
} from "yaml";
import type { DiagnosticList, Pos } from "./diagnostic.js";

/**
 * The YAML adapter: text → per-document trees of plain values that remember where each one was
 * written. Everything the `yaml` package reports (syntax errors, duplicate keys, unknown tags)
 * becomes a diagnostic here; aliases and merge keys are expanded here, under a node budget, so
 * nothing downstream sees `yaml` types and no input can make the expansion explode.
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

/** Expanded nodes allowed per document; real manifests use a few thousand, alias bombs billions. */
export const NODE_BUDGET = 250_000;

const REMEDIES: Record<string, string> = {
  DUPLICATE_KEY: "remove or rename one of the repeated keys",
  BAD_INDENT: "indent the line like its siblings (spaces, not tabs)",
  TAB_AS_INDENT: "indent with spaces; YAML does not allow tabs for indentation",
  MISSING_CHAR: "add the missing closing character",
  BLOCK_AS_IMPLICIT_KEY: "put the key on its own line",
  MULTILINE_IMPLICIT_KEY: "write the key on a single line",
};

/**
 * Parses every document of one file. Documents with YAML errors are reported and left out; empty
 * documents (only comments, or `---` followed by `...`) are skipped silently.
 */
export function parseYamlDocuments(file: string, text: string, diags: DiagnosticList): ParsedDocument[] {
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  } catch (e) {
    // The parser is documented to report problems as errors, not throw; if it ever does, the file
    // is unusable and the user still gets a position instead of a crash.
    diags.add(
      "error",
      { file, line: 1, column: 1, documentIndex: 0 },
      {
        code: "yaml-syntax",
        path: "",
        message: `cannot parse YAML (${e instanceof Error ? e.name : "unknown failure"})`,
        remedy: "check that the file is UTF-8 YAML text",
      },
    );
    return [];
  }
  const posOf = (offset: number | undefined): Pos => {
    const p = lineCounter.linePos(Math.max(0, Math.min(offset ?? 0, text.length)));
    return { line: p.line, column: p.col };
  };

  const out: ParsedDocument[] = [];
  docs.forEach((doc, index) => {
    const at = (offset: number | undefined) => ({ file, ...posOf(offset), documentIndex: index });
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
    const builder = new TreeBuilder(doc, posOf, (pos, message, remedy) =>
      diags.add("error", { file, ...pos, documentIndex: index }, { code: "yaml-structure", path: "", message, remedy }),
    );
    out.push({ index, root: builder.build(contents, posOf(contents.range?.[0])) });
  });
  return out;
}

type Report = (pos: Pos, message: string, remedy: string) => void;

class TreeBuilder {
  private budget = NODE_BUDGET;
  private budgetReported = false;
  /** Nodes being built right now: reaching one again through an alias is a cycle. */
  private readonly active = new Set<unknown>();

  constructor(
    private readonly doc: Document.Parsed,
    private readonly posOf: (offset: number | undefined) => Pos,
    private readonly report: Report,
  ) {}

  build(node: unknown, fallback: Pos): YNode {
    const pos = hasRange(node) ? this.posOf(node.range[0]) : fallback;
    if (--this.budget < 0) {
      if (!this.budgetReported) {
        this.budgetReported = true;
        this.report(
          pos,
          `document expands to more than ${NODE_BUDGET} nodes`,
          "use fewer aliases or split the document",
        );
      }
      return { kind: "broken", pos };
    }
    if (node === null || node === undefined) return { kind: "scalar", pos, value: null };
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target === undefined) {
        this.report(pos, `alias *${node.source} refers to no anchor`, `define &${node.source} before using it`);
        return { kind: "broken", pos };
      }
      // Mappings and lists guard themselves against cycles; a scalar cannot contain anything.
      return this.build(target, pos);
    }
    if (isScalar(node)) return { kind: "scalar", pos, value: node.value };
    if (isSeq(node))
      return this.guarded(node, pos, () => ({ kind: "seq", pos, items: node.items.map((i) => this.build(i, pos)) }));
    if (isMap(node)) return this.guarded(node, pos, () => this.buildMap(node.items, pos));
    this.report(pos, "unsupported YAML node", "write plain mappings, lists and scalars");
    return { kind: "broken", pos };
  }

  private guarded(node: unknown, pos: Pos, fn: () => YNode): YNode {
    if (this.active.has(node)) {
      this.report(pos, "alias refers to a node that contains it", "remove the recursive alias");
      return { kind: "broken", pos };
    }
    this.active.add(node);
    try {
      return fn();
    } finally {
      this.active.delete(node);
    }
  }

  private buildMap(pairs: readonly { key: unknown; value: unknown }[], pos: Pos): YNode {
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
        this.report(keyPos, "mapping keys must be plain strings", "write the key as a plain word");
        continue;
      }
      entries.set(key, { keyPos, node: this.build(pair.value, keyPos) });
    }
    // YAML merge keys: explicit keys win, then earlier merge sources over later ones.
    for (const m of merges) {
      const sources = isSeq(m.value) ? m.value.items : [m.value];
      for (const s of sources) {
        const merged = this.build(s, m.pos);
        if (merged.kind === "broken") continue;
        if (merged.kind !== "map") {
          this.report(m.pos, "a merge key (<<) needs a mapping or an alias of one", "merge only mappings");
          continue;
        }
        for (const [k, v] of merged.entries) if (!entries.has(k)) entries.set(k, v);
      }
    }
    return { kind: "map", pos, entries };
  }
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
