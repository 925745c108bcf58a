import type { Step } from "../../planner/index.js";
import { planToSteps } from "../../planner/index.js";
import { type PlanManifestsOptions, type PlanOutcome, planManifests } from "./plan.js";

export type GraphOutcome =
  | Exclude<PlanOutcome, { kind: "planned" }>
  | (Extract<PlanOutcome, { kind: "planned" }> & { steps: Step[] });

/**
 * The steps apply would run for the manifests (`kuke graph`): plan as `kuke plan` does, then turn
 * the plan into steps. Nothing on the host changes. Throws `failed-precondition` when the plan has
 * errors (such a plan has no steps).
 */
export async function stepGraph(o: PlanManifestsOptions): Promise<GraphOutcome> {
  const outcome = await planManifests(o);
  if (outcome.kind !== "planned") return outcome;
  return { ...outcome, steps: planToSteps(outcome.plan, outcome.desired, outcome.actual) };
}
