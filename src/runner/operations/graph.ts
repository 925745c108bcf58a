import { buildGraph, toDot } from "../../graph/index.js";
import { planToSteps, type Step } from "../../planner/index.js";
import { type PlanManifestsOptions, type PlanOutcome, planManifests } from "./plan.js";

export type GraphOutcome =
  | Exclude<PlanOutcome, { kind: "planned" }>
  | (Extract<PlanOutcome, { kind: "planned" }> & {
      steps: Step[];
      /** The step graph apply would walk, as Graphviz DOT: one box per step (kind and address), implied edges left out. */
      dot: string;
    });

/**
 * The steps apply would run for the manifests (`kuke graph`): plan as `kuke plan` does, turn the
 * plan into steps and build the graph the engine would walk. Nothing on the host changes. Throws
 * `failed-precondition` when the plan has errors (such a plan has no steps).
 */
export async function stepGraph(o: PlanManifestsOptions): Promise<GraphOutcome> {
  const outcome = await planManifests(o);
  if (outcome.kind !== "planned") return outcome;
  const steps = planToSteps(outcome.plan, outcome.desired, outcome.actual);
  const dot = toDot<Step>(buildGraph(steps), (s) => `${s.kind}\n${s.address}`, "kuke");
  return { ...outcome, steps, dot };
}
