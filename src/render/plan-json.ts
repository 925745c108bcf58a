/**
 * The machine view of a plan (`--json`, saved plan files): the plan object itself, keys sorted so
 * equal plans give equal bytes. `format_version` says how to read it; a change that removes or
 * renames a field bumps it.
 */
import { canonicalJson, KukeError } from "../model/index.js";
import type { Plan } from "../planner/types.js";

export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(plan)), null, 2)}\n`;
}

/** Reads a plan written by `renderPlanJson`, refusing other format versions. */
export function parsePlanJson(text: string): Plan {
  const value = JSON.parse(text) as Partial<Plan>;
  if (value.format_version !== "1") {
    throw new KukeError("usage", `unsupported plan format_version ${JSON.stringify(value.format_version)}`, {
      remedy: "re-create the plan with this version of kuke (kuke plan --out FILE)",
    });
  }
  return value as Plan;
}
