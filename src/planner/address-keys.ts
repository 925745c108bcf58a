/**
 * Address strings as the planner keys its maps by: ordering (outermost first) and parent/ancestor
 * keys, by string work only since these run once per resource. Shared by the planner's rules, its
 * checks and its step builders, which must not import each other for it.
 */

/** Orders addresses outermost first, then by names: realm/r < space/r/s < stack/r/s/t < … */
export function compareAddressKeys(a: string, b: string): number {
  // Address strings are `kind/name/...`; names cannot hold `/`, so splitting is parsing enough here.
  const pa = a.split("/");
  const pb = b.split("/");
  for (let i = 1; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return (pa[i] as string) < (pb[i] as string) ? -1 : 1;
  }
  return pa.length - pb.length;
}

const KIND_ORDER = ["realm", "space", "stack", "cell"];

/** `compareAddressKeys` order, splitting each key once instead of once per comparison. */
export function sortAddressKeys(keys: string[]): string[] {
  const decorated = keys.map((k) => ({ k, p: k.split("/") }));
  decorated.sort((x, y) => {
    for (let i = 1; i < Math.min(x.p.length, y.p.length); i++) {
      if (x.p[i] !== y.p[i]) return (x.p[i] as string) < (y.p[i] as string) ? -1 : 1;
    }
    return x.p.length - y.p.length;
  });
  return decorated.map((d) => d.k);
}

/** Parent address string, or undefined for a realm. */
export function parentKey(key: string): string | undefined {
  const names = key.split("/").slice(1);
  if (names.length < 2) return undefined;
  return `${KIND_ORDER[names.length - 2]}/${names.slice(0, -1).join("/")}`;
}

/** Ancestor address strings of an address string, outermost first (string work only: this runs per resource). */
export function ancestorKeys(key: string): string[] {
  const names = key.split("/").slice(1, -1);
  return names.map((_, i) => `${KIND_ORDER[i]}/${names.slice(0, i + 1).join("/")}`);
}
