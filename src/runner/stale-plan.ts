import { type ActualState, KukeError, specHash } from "../model/index.js";
import type { Plan } from "../planner/index.js";

/**
 * The addresses whose actual state differs from when `plan` was made: the planner fingerprints
 * every resource a plan touches (`specHash` of its actual view), and apply recomputes them after
 * its own refresh.
 */
export function movedAddresses(plan: Plan, actual: ActualState): string[] {
  return Object.entries(plan.fingerprints)
    .filter(([address, fp]) => specHash(actual.resources[address] ?? null) !== fp)
    .map(([address]) => address)
    .sort();
}

/** @throws KukeError `stale-plan` (exit 4) naming what moved, when anything did. */
export function assertPlanFresh(plan: Plan, actual: ActualState, planFile: string): void {
  const moved = movedAddresses(plan, actual);
  if (moved.length === 0) return;
  throw new KukeError("stale-plan", `the saved plan ${planFile} is stale: the host changed since it was made`, {
    detail: `changed: ${moved.join(", ")}`,
    remedy: `make a new plan (kuke plan -f FILE… --out ${planFile}) and apply that`,
  });
}
