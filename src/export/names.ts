import { specHash } from "../model/index.js";

/**
 * Kubernetes names for kuke's resources. kuke names are DNS labels already, so most objects keep a
 * readable join of them (`<realm>-<space>`, `<stack>-<cell>`). A join can be ambiguous (realm
 * `a-b` + space `c` and realm `a` + space `b-c` both give `a-b-c`) or too long, so a name that
 * collides or does not fit ends with a hash of the parts instead: always the same for the same
 * parts, and distinct for distinct parts.
 */

/** DNS label length limit (namespaces, and the pod names kept within it so hostnames fit). */
export const KUBE_NAME_MAX = 63;
const HASH_CHARS = 8;

function hashed(parts: readonly string[], max: number): string {
  const hash = specHash(parts).slice("sha256:".length, "sha256:".length + HASH_CHARS);
  const prefix = parts
    .join("-")
    .slice(0, max - HASH_CHARS - 1)
    .replace(/-+$/, "");
  return prefix === "" ? hash : `${prefix}-${hash}`;
}

/**
 * Names for a set of distinct part lists that share one scope (namespaces of a cluster, pods of a
 * namespace): the plain join where it is unique and fits, else a hashed name. Keyed by the parts
 * joined with `/` (unambiguous: kuke names hold no `/`).
 */
export function assignNames(partLists: ReadonlyArray<readonly string[]>, max = KUBE_NAME_MAX): Map<string, string> {
  const byPlain = new Map<string, Set<string>>();
  for (const parts of partLists) {
    const plain = parts.join("-");
    const keys = byPlain.get(plain) ?? new Set<string>();
    keys.add(parts.join("/"));
    byPlain.set(plain, keys);
  }
  const out = new Map<string, string>();
  for (const parts of partLists) {
    const plain = parts.join("-");
    const unique = byPlain.get(plain)!.size === 1;
    out.set(parts.join("/"), unique && plain.length <= max ? plain : hashed(parts, max));
  }
  return out;
}

/** A name derived from one object's name (`<pod>-secrets`), kept within `max`. */
export function derivedName(base: string, suffix: string, max = KUBE_NAME_MAX): string {
  const plain = `${base}-${suffix}`;
  return plain.length <= max ? plain : hashed([base, suffix], max);
}
