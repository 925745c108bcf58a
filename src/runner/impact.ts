import { KukeError } from "../model/index.js";
import type { Plan, ResourceChange } from "../planner/index.js";

/**
 * `--max-impact`: how disruptive a plan may be, weakest first. `live` changes nothing that runs
 * (creates, cgroup or iptables writes, records), `restart` restarts tasks, `recreate` replaces
 * containers or cells, `delete` removes resources.
 */
export const IMPACTS = ["live", "restart", "recreate", "delete"] as const;
export type Impact = (typeof IMPACTS)[number];

export function parseImpact(text: string): Impact {
  if ((IMPACTS as readonly string[]).includes(text)) return text as Impact;
  throw new KukeError("usage", `--max-impact must be one of ${IMPACTS.join(", ")}, got '${text}'`, {
    remedy: "pass --max-impact restart (or live, recreate, delete)",
  });
}

/** The impact of one change, or undefined for a noop. */
export function changeImpact(c: ResourceChange): Impact | undefined {
  switch (c.action) {
    case "delete":
      return "delete";
    case "replace":
      return "recreate";
    case "update":
      return c.restarts ? "restart" : "live";
    case "create":
      return "live";
    default:
      return undefined;
  }
}

/**
 * Refuses a plan whose strongest change exceeds `max`.
 * @throws KukeError `guard` (exit 5) listing every change beyond the limit.
 */
export function checkMaxImpact(plan: Plan, max: Impact): void {
  const limit = IMPACTS.indexOf(max);
  const over = plan.changes.filter((c) => {
    const i = changeImpact(c);
    return i !== undefined && IMPACTS.indexOf(i) > limit;
  });
  if (over.length === 0) return;
  throw new KukeError("guard", `the plan exceeds --max-impact ${max}`, {
    detail: over.map((c) => `${c.address}: ${c.action} (${changeImpact(c)})`).join("\n"),
    remedy: "review the plan; re-run with a higher --max-impact if these changes are intended",
  });
}
