/**
 * `--target`: narrows a finished set of drafts to the targets, everything inside them, and the
 * ancestors they need (ones being created, or replaced, which takes the target with it). A cell
 * is made as a unit (its root first, then every container joining it), so a target inside a cell
 * being created or replaced widens to the whole cell: the plan then shows exactly what apply does.
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

/**
 * @param known every address declared in the files or recorded on the host; a target with none of
 *   these at or inside it names nothing and is reported as an error instead of being planned.
 */
export function applyScope(all: Scoped, targets: Address[], known: Iterable<string>): Scoped {
  if (targets.length === 0) return all;
  const knownPaths = [...known].map(pathKey);
  const roots: string[] = [];
  const needed = new Set<string>();
  const unknown: Diagnostic[] = [];
  for (const t of targets) {
    const tk = formatAddress(t);
    if (!knownPaths.some((k) => k.startsWith(pathKey(tk)))) {
      unknown.push({
        severity: "error",
        code: "usage",
        address: tk,
        summary: `--target ${tk} names nothing declared in the files or applied on the host`,
        remedy: "check the address against the files, or list what is applied with kuke get",
      });
      continue;
    }
    let root = tk;
    for (const anc of ancestors(t)) {
      const ak = formatAddress(anc);
      const action = all.drafts.get(ak)?.action;
      if (action === "replace" || (action === "create" && anc.kind === "cell")) {
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
    errors: [...all.errors.filter((e) => relevant(e.address)), ...unknown],
    notInConfiguration: all.notInConfiguration.filter((k) => inScope(k)),
  };
}
