import type { DesiredState } from "../model/index.js";

/**
 * The project a run records as the owner of what it applies, when `--project` is not given: the
 * names of every realm the files touch (declared realms, and the realms of declared spaces, stacks,
 * cells and loose containers), sorted and joined with `+` — `demo`, or `blog+shop` for files
 * spanning two realms. Stable under file order, so re-running with the same files keeps ownership
 * (and `--prune` finds what the same files applied before). Empty files give `default`.
 */
export function defaultProject(desired: DesiredState): string {
  const realms = new Set<string>();
  for (const r of desired.realms) realms.add(r.name);
  for (const x of [...desired.spaces, ...desired.stacks, ...desired.cells, ...desired.looseContainers]) {
    realms.add(x.realm);
  }
  return realms.size === 0 ? "default" : [...realms].sort().join("+");
}
