/**
 * Structural comparison of resource views, producing field paths (`spec.env`,
 * `spec.volumes[0].source`). Equality is canonical (`sameValue`), so key order never shows as a diff.
 */
import { type JsonValue, sameValue } from "../model/index.js";

type Obj = { [key: string]: JsonValue };

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Arrays of scalars (env, args, ports) change as a whole; arrays of objects are compared per element. */
function isObjectArray(v: unknown): v is Obj[] {
  return Array.isArray(v) && v.length > 0 && v.every(isObject);
}

function join(prefix: string, key: string): string {
  return prefix === "" ? key : `${prefix}.${key}`;
}

/**
 * Paths where `before` and `after` differ, sorted. An array of objects that changed length is
 * reported as the array's own path; otherwise element by element.
 */
export function diffPaths(before: unknown, after: unknown, prefix = ""): string[] {
  // Most views of a plan are unchanged: that is told without building a path for every leaf.
  if (plainEqual(before, after)) return [];
  const out: string[] = [];
  walk(before, after, prefix, out);
  return out.sort();
}

/**
 * True when `a` and `b` are the same JSON value, a key holding `undefined` counting as absent.
 * Strict (arrays in order, no canonical forms): a false answer only means `walk` has to look, so
 * it never hides a difference `walk` would report.
 */
function plainEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!plainEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Obj;
  const y = b as Obj;
  let defined = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    defined++;
    if (!plainEqual(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) defined--;
  return defined === 0;
}

function walk(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const av = a[k];
      const bv = b[k];
      if (av === undefined && bv === undefined) continue;
      walk(av, bv, join(path, k), out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && (isObjectArray(a) || isObjectArray(b))) {
    for (let i = 0; i < a.length; i++) walk(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (!same(a, b)) out.push(path);
}

/** Scalars and arrays of scalars compare directly (the common case); anything else canonically. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    if (a.every((x, i) => x === b[i])) return true;
  }
  return (typeof a === "object" || typeof b === "object") && sameValue(a ?? null, b ?? null);
}

/**
 * Every leaf path of a value, with `[]` for array-of-object elements (all elements are visited, so
 * optional fields present in any element count). Arrays of scalars and empty arrays are leaves.
 */
export function leafPaths(value: unknown, prefix = ""): string[] {
  const out = new Set<string>();
  const visit = (v: unknown, path: string) => {
    if (isObject(v)) {
      for (const [k, x] of Object.entries(v)) if (x !== undefined) visit(x, join(path, k));
    } else if (isObjectArray(v)) {
      for (const x of v) visit(x, `${path}[]`);
    } else {
      out.add(path);
    }
  };
  visit(value, prefix);
  return [...out].sort();
}

/** Calls `fn` for every leaf with its concrete path; returns a copy with the leaves `fn` replaced. */
export function mapLeaves(value: JsonValue, fn: (path: string, leaf: JsonValue) => JsonValue, path = ""): JsonValue {
  if (isObject(value)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(value)) out[k] = mapLeaves(x, fn, join(path, k));
    return out;
  }
  if (isObjectArray(value)) return value.map((x, i) => mapLeaves(x, fn, `${path}[${i}]`));
  return fn(path, value);
}
