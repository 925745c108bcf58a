import type { Pos } from "./diagnostic.js";
import { didYouMean } from "./did-you-mean.js";
import type { YNode } from "./yaml-tree.js";

/**
 * A small declarative schema and its interpreter: checks types, unknown and required fields and
 * per-value rules while turning a located YAML tree into plain data. What fails a check is left
 * out of the result (and reported), so later rules only see well-typed values.
 */

/** A rule's verdict on one value. */
export interface Problem {
  code: string;
  message: string;
  remedy: string;
}

/**
 * A rule on one string value. `schema`, when set, is what the rule means in a JSON Schema (a
 * pattern, a list of allowed values): `kuke schema manifest` uses it so editors know it too.
 */
export type StringCheck = ((value: string) => Problem | undefined) & {
  readonly schema?: Readonly<Record<string, unknown>>;
};

export type Shape =
  | {
      type: "string";
      check?: StringCheck;
      /** Allowed values; anything else is an `invalid-value` error with a suggestion. */
      oneOf?: readonly string[];
      /** Never echo the value (registry passwords). */
      sensitive?: boolean;
    }
  | { type: "bool" }
  | { type: "int"; min: number; max?: number }
  | { type: "list"; of: Shape }
  | {
      type: "object";
      fields: Readonly<Record<string, Shape>>;
      /** Field → remedy shown when it is missing. */
      required?: Readonly<Record<string, string>>;
      /** kukeon fields kuke accepts with a warning and then ignores. */
      ignored?: readonly string[];
    }
  /** `labels`: a mapping of strings to strings. */
  | { type: "labels" }
  /**
   * Checked by a rule of its own (a cell's containers, each under its own address); skipped here.
   * `shape` is what that rule accepts, for the JSON Schema (`manifest-schema.ts`).
   */
  | { type: "deferred"; shape: Shape };

/** Where the interpreter sends what it finds; the caller binds file, document and address. */
export interface Reporter {
  error(pos: Pos, path: string, problem: Problem): void;
  warning(pos: Pos, path: string, problem: Problem): void;
  /** Told where every present, non-null value was written, for rules that run after conversion. */
  locate(path: string, pos: Pos): void;
}

export const SENSITIVE = "(sensitive value)";

const EXPECTED: Record<Shape["type"], [what: string, remedy: string]> = {
  string: ["a string", 'write a string; quote values that look like numbers or booleans ("1000", "true")'],
  bool: ["true or false", "write true or false (unquoted)"],
  int: ["an integer", "write a whole number without quotes or units"],
  list: ["a list", "write a YAML list (one '- item' per line, or [a, b])"],
  object: ["a mapping", "write a YAML mapping (key: value)"],
  labels: ["a mapping of strings", "write labels as key: value pairs with string values"],
  deferred: ["a value", ""],
};

export function joinPath(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** A short, safe description of what was written, for "got …" in messages. */
export function describeNode(node: YNode, sensitive = false): string {
  if (sensitive) return SENSITIVE;
  switch (node.kind) {
    case "map":
      return "a mapping";
    case "seq":
      return "a list";
    case "broken":
      return "an invalid value";
    case "scalar": {
      const v = node.value;
      if (v === null) return "null";
      if (typeof v === "string") return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
      if (typeof v === "number" || typeof v === "boolean") return `${typeof v} (${String(v)})`;
      if (v instanceof Uint8Array) return "binary data";
      return "an unsupported value";
    }
  }
}

/**
 * Converts `node` according to `shape`, reporting every problem. Returns undefined when the value
 * is missing, null or invalid. A null value means "not set", as in kukeon.
 */
export function convert(node: YNode, shape: Shape, path: string, r: Reporter): unknown {
  if (node.kind === "broken") return undefined;
  if (node.kind === "scalar" && node.value === null) return undefined;
  r.locate(path, node.pos);
  const wrongType = (): undefined => {
    const [what, remedy] = EXPECTED[shape.type];
    const sensitive = shape.type === "string" && shape.sensitive === true;
    r.error(node.pos, path, {
      code: "wrong-type",
      message: `${path} must be ${what}, got ${describeNode(node, sensitive)}`,
      remedy,
    });
    return undefined;
  };

  switch (shape.type) {
    case "string": {
      if (node.kind !== "scalar" || typeof node.value !== "string") return wrongType();
      const v = node.value;
      if (shape.oneOf && !shape.oneOf.includes(v)) {
        const near = didYouMean(v, shape.oneOf);
        r.error(node.pos, path, {
          code: "invalid-value",
          message: `${path} must be one of ${shape.oneOf.join(", ")}, got ${describeNode(node, shape.sensitive)}`,
          remedy: near !== undefined ? `did you mean '${near}'?` : `use one of ${shape.oneOf.join(", ")}`,
        });
        return undefined;
      }
      const problem = shape.check?.(v);
      if (problem) {
        r.error(node.pos, path, { ...problem, message: `${path} ${problem.message}` });
        return undefined;
      }
      return v;
    }
    case "bool":
      return node.kind === "scalar" && typeof node.value === "boolean" ? node.value : wrongType();
    case "int": {
      if (node.kind !== "scalar" || typeof node.value !== "number") return wrongType();
      const v = node.value;
      const range = shape.max !== undefined ? `${shape.min}–${shape.max}` : `≥ ${shape.min}`;
      if (!Number.isSafeInteger(v) || v < shape.min || (shape.max !== undefined && v > shape.max)) {
        r.error(node.pos, path, {
          code: "out-of-range",
          message: `${path} must be an integer ${range}, got ${describeNode(node)}`,
          remedy: `write a whole number ${range}`,
        });
        return undefined;
      }
      return v;
    }
    case "list": {
      if (node.kind !== "seq") return wrongType();
      const out: unknown[] = [];
      node.items.forEach((item, i) => {
        const itemPath = `${path}[${i}]`;
        if (item.kind === "scalar" && item.value === null) {
          r.error(item.pos, itemPath, {
            code: "wrong-type",
            message: `${itemPath} is empty`,
            remedy: "remove the empty list item",
          });
          return;
        }
        const v = convert(item, shape.of, itemPath, r);
        if (v !== undefined) out.push(v);
      });
      return out;
    }
    case "labels": {
      if (node.kind !== "map") return wrongType();
      const out: Record<string, string> = {};
      for (const [k, e] of node.entries) {
        const v = convert(e.node, { type: "string" }, `${joinPath(path, k)}`, r);
        if (typeof v === "string") out[k] = v;
      }
      return out;
    }
    case "object":
      return convertObject(node, shape, path, r);
    case "deferred":
      return undefined;
  }
}

function convertObject(node: YNode, shape: Extract<Shape, { type: "object" }>, path: string, r: Reporter): unknown {
  if (node.kind !== "map") {
    const [what, remedy] = EXPECTED.object;
    r.error(node.pos, path, {
      code: "wrong-type",
      message: `${path === "" ? "the document" : path} must be ${what}, got ${describeNode(node)}`,
      remedy,
    });
    return undefined;
  }
  const out: Record<string, unknown> = {};
  /** Known fields some misspelt key was matched to: "missing" would only repeat that error. */
  const suggested = new Set<string>();
  for (const [key, entry] of node.entries) {
    const fieldPath = joinPath(path, key);
    const fieldShape = Object.hasOwn(shape.fields, key) ? shape.fields[key] : undefined;
    if (fieldShape !== undefined) {
      const v = convert(entry.node, fieldShape, fieldPath, r);
      if (v !== undefined) out[key] = v;
    } else if (shape.ignored?.includes(key)) {
      r.warning(entry.keyPos, fieldPath, {
        code: "ignored-field",
        message: `${fieldPath} is a kukeon field that kuke does not act on; it is ignored`,
        remedy: `remove '${key}' unless the file is also used with kukeon`,
      });
    } else {
      const near = reportUnknownField(key, fieldPath, entry.keyPos, Object.keys(shape.fields), r);
      if (near !== undefined) suggested.add(near);
    }
  }
  for (const [key, remedy] of Object.entries(shape.required ?? {})) {
    if (suggested.has(key)) continue;
    if (out[key] === undefined && !node.entries.has(key)) {
      const fieldPath = joinPath(path, key);
      r.error(node.pos, fieldPath, { code: "missing-field", message: `${fieldPath} is required`, remedy });
    } else if (out[key] === undefined && isNull(node.entries.get(key)?.node)) {
      const fieldPath = joinPath(path, key);
      r.error(node.entries.get(key)!.keyPos, fieldPath, {
        code: "missing-field",
        message: `${fieldPath} is required but empty`,
        remedy,
      });
    }
  }
  return out;
}

function isNull(node: YNode | undefined): boolean {
  return node?.kind === "scalar" && node.value === null;
}

/** Reports `key` as unknown and returns the known field it was probably meant to be. */
export function reportUnknownField(
  key: string,
  fieldPath: string,
  pos: Pos,
  known: string[],
  r: Reporter,
): string | undefined {
  const near = didYouMean(key, known);
  r.error(pos, fieldPath, {
    code: "unknown-field",
    message: `unknown field ${fieldPath}${near !== undefined ? ` (did you mean '${near}'?)` : ""}`,
    remedy:
      near !== undefined
        ? `rename '${key}' to '${near}'`
        : `remove '${key}'; fields allowed here: ${known.length > 0 ? known.join(", ") : "none"}`,
  });
  return near;
}
