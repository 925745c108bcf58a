/**
 * `lifecycle.preventDestroy`: a plan that would delete or replace a protected resource is an error
 * with code `guard` (exit 5), whatever the reason (a field forcing a replacement, `--replace`, a
 * cascade from a parent, `--prune`, `kuke destroy`, `kuke delete`). Where the files declare the
 * resource, they decide (so `preventDestroy: false` and a replacement can go in one apply, as in
 * Terraform). Where they do not (pruned, or removed from a cell), the record decides: unlike
 * Terraform, kuke keeps the setting it applied, so deleting a resource from the file is not a way
 * around it.
 */
import type { ResourceView } from "../model/index.js";
import type { Diagnostic, ResourceChange } from "./types.js";

/**
 * One error per delete or replace of a protected resource, naming the reason that forces it.
 * @param declared the desired view of an address the files declare, undefined otherwise
 */
export function preventDestroyErrors(
  changes: readonly ResourceChange[],
  declared: (address: string) => ResourceView | undefined,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byAddress = new Map(changes.map((c) => [c.address, c]));
  /** A cascade names the parent; the reader wants what forces the parent too. */
  const why = (c: ResourceChange): string => {
    const text = c.reason?.text ?? c.action;
    const parent = /^replaced along with (\S+)$/.exec(text)?.[1];
    const cause = parent !== undefined ? byAddress.get(parent)?.reason?.text : undefined;
    return cause !== undefined ? `${text}: ${cause}` : text;
  };
  for (const c of changes) {
    if (c.action !== "delete" && c.action !== "replace") continue;
    const desired = declared(c.address);
    const fromFiles = desired !== undefined;
    const prevent = fromFiles ? desired.lifecycle?.preventDestroy : c.before?.lifecycle?.preventDestroy;
    if (prevent !== true) continue;
    const verb = c.action === "delete" ? "delete" : "replace";
    out.push({
      severity: "error",
      code: "guard",
      address: c.address,
      summary: `lifecycle.preventDestroy is set: the plan would ${verb} ${c.address} (${why(c)})`,
      detail: fromFiles
        ? "The files set lifecycle.preventDestroy: true on it."
        : "The files no longer declare it; kuke's record keeps the lifecycle.preventDestroy it was applied with.",
      remedy: fromFiles
        ? `if the ${verb} is intended, remove lifecycle.preventDestroy from ${c.address} (or set it to false) and run again; otherwise undo the change that forces it`
        : `declare ${c.address} again with lifecycle.preventDestroy removed (or false), apply, then remove it from the files; 'kuke purge' removes it regardless`,
    });
  }
  return out;
}
