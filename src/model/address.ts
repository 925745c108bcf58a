import { isValidName } from "./names.js";

/** The five kinds of resource, outermost first. */
export const KINDS = ["realm", "space", "stack", "cell", "container"] as const;
export type ResourceKind = (typeof KINDS)[number];

/**
 * A resource's identity. Plain data (no methods) so it survives JSON; `formatAddress` and
 * `parseAddress` are the only ways to go between this and the string form
 * (`realm/r`, `space/r/s`, `stack/r/s/t`, `cell/r/s/t/c`, `container/r/s/t/c/k`).
 */
export type Address =
  | { kind: "realm"; realm: string }
  | { kind: "space"; realm: string; space: string }
  | { kind: "stack"; realm: string; space: string; stack: string }
  | { kind: "cell"; realm: string; space: string; stack: string; cell: string }
  | { kind: "container"; realm: string; space: string; stack: string; cell: string; container: string };

export type RealmAddress = Extract<Address, { kind: "realm" }>;
export type SpaceAddress = Extract<Address, { kind: "space" }>;
export type StackAddress = Extract<Address, { kind: "stack" }>;
export type CellAddress = Extract<Address, { kind: "cell" }>;
export type ContainerAddress = Extract<Address, { kind: "container" }>;

/** The names along an address, outermost first (`["r","s","t"]` for `stack/r/s/t`). */
export function addressPath(a: Address): string[] {
  switch (a.kind) {
    case "realm":
      return [a.realm];
    case "space":
      return [a.realm, a.space];
    case "stack":
      return [a.realm, a.space, a.stack];
    case "cell":
      return [a.realm, a.space, a.stack, a.cell];
    case "container":
      return [a.realm, a.space, a.stack, a.cell, a.container];
  }
}

export function formatAddress(a: Address): string {
  return `${a.kind}/${addressPath(a).join("/")}`;
}

/** Builds an address of `kind` from its path of names; the inverse of `addressPath`. */
export function addressOf(kind: ResourceKind, path: readonly string[]): Address {
  const depth = KINDS.indexOf(kind) + 1;
  if (path.length !== depth) {
    throw new TypeError(`${kind} address needs ${depth} names, got ${path.length}`);
  }
  const [realm = "", space = "", stack = "", cell = "", container = ""] = path;
  switch (kind) {
    case "realm":
      return { kind, realm };
    case "space":
      return { kind, realm, space };
    case "stack":
      return { kind, realm, space, stack };
    case "cell":
      return { kind, realm, space, stack, cell };
    case "container":
      return { kind, realm, space, stack, cell, container };
  }
}

export type ParseResult = { ok: true; address: Address } | { ok: false; problem: string };

/** Parses `kind/name[/name…]`; every name must be a valid resource name. */
export function tryParseAddress(text: string): ParseResult {
  const parts = text.split("/");
  const kind = parts[0] as ResourceKind;
  if (!KINDS.includes(kind)) {
    return { ok: false, problem: `unknown kind '${parts[0]}' (expected one of ${KINDS.join(", ")})` };
  }
  const names = parts.slice(1);
  const depth = KINDS.indexOf(kind) + 1;
  if (names.length !== depth) {
    const shape = ["realm", "space", "stack", "cell", "container"].slice(0, depth).join("/");
    return { ok: false, problem: `a ${kind} address has the form ${kind}/${shape}` };
  }
  const bad = names.find((n) => !isValidName(n));
  if (bad !== undefined) return { ok: false, problem: `'${bad}' is not a valid name` };
  return { ok: true, address: addressOf(kind, names) };
}

/** Parses an address or throws a TypeError naming the problem (callers wrap it for users). */
export function parseAddress(text: string): Address {
  const r = tryParseAddress(text);
  if (!r.ok) throw new TypeError(`invalid address '${text}': ${r.problem}`);
  return r.address;
}

/** The enclosing resource's address, or undefined for a realm. */
export function parentAddress(a: Address): Address | undefined {
  if (a.kind === "realm") return undefined;
  const kind = KINDS[KINDS.indexOf(a.kind) - 1] as ResourceKind;
  return addressOf(kind, addressPath(a).slice(0, -1));
}

/** Every enclosing address, outermost first (not including `a`). */
export function ancestors(a: Address): Address[] {
  const out: Address[] = [];
  for (let p = parentAddress(a); p !== undefined; p = parentAddress(p)) out.unshift(p);
  return out;
}

/** True when `inner` is `outer` or lies inside it. */
export function isWithin(inner: Address, outer: Address): boolean {
  const ip = addressPath(inner);
  const op = addressPath(outer);
  return op.length <= ip.length && op.every((n, i) => ip[i] === n);
}

export const realmAddress = (realm: string): RealmAddress => ({ kind: "realm", realm });
export const spaceAddress = (realm: string, space: string): SpaceAddress => ({ kind: "space", realm, space });
export const stackAddress = (realm: string, space: string, stack: string): StackAddress => ({
  kind: "stack",
  realm,
  space,
  stack,
});
export const cellAddress = (realm: string, space: string, stack: string, cell: string): CellAddress => ({
  kind: "cell",
  realm,
  space,
  stack,
  cell,
});
export const containerAddress = (
  realm: string,
  space: string,
  stack: string,
  cell: string,
  container: string,
): ContainerAddress => ({ kind: "container", realm, space, stack, cell, container });
