/**
 * `--target`: narrows a finished set of drafts to the targets, everything inside them, and the
 * ancestors they need (ones being created, or replaced, which takes the target with it).
 */
import { type Address, ancestors, formatAddress } from "../model/index.js";
import type { Draft } from "./plan-draft.js";
import type { Diagnostic, DriftItem } from "./types.js";

export interface Scoped {
  drafts: Map<string, Draft>;
  drift: DriftItem[];
  errors: Diagnostic[];
  notInConfiguration: string[];
}

/** `cell/r/s/t/c` → `r/s/t/c/`, so containment is a prefix test on plain strings. */
function pathKey(key: string): string {
  return `${key.slice(key.indexOf("/") + 1)}/`;
}

export function applyScope(all: Scoped, targets: Address[]): Scoped {
  if (targets.length === 0) return all;
  const roots: string[] = [];
  const needed = new Set<string>();
  for (const t of targets) {
    let root = formatAddress(t);
    for (const anc of ancestors(t)) {
      const ak = formatAddress(anc);
      if (all.drafts.get(ak)?.action === "replace") {
        root = ak;
        break;
      }
    }
    roots.push(pathKey(root));
    for (const anc of ancestors(t)) needed.add(formatAddress(anc));
  }
  const inScope = (key: string) => roots.some((r) => pathKey(key).startsWith(r));
  const drafts = new Map<string, Draft>();
  for (const [key, d] of all.drafts) {
    // Ancestors appear only when they change for the target's sake (created); otherwise not at all.
    if (inScope(key) || (needed.has(key) && d.action === "create")) drafts.set(key, d);
  }
  const relevant = (key: string | undefined) => key === undefined || inScope(key) || needed.has(key);
  return {
    drafts,
    drift: all.drift.filter((d) => relevant(d.address)),
    errors: all.errors.filter((e) => relevant(e.address)),
    notInConfiguration: all.notInConfiguration.filter((k) => inScope(k)),
  };
}
