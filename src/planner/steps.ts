/**
 * Plan → steps. Emitters make each resource's teardown and build steps from the plan, without
 * dependencies; `ordering/` then derives every `dependsOn` from named rules (children torn down
 * first, parents built first, DESIGN §4 inside a cell). Cells only ever depend on their parents'
 * steps (and share image pulls), so independent cells run in parallel.
 */
import { type ActualState, type DesiredState, KukeError } from "../model/index.js";
import { sortAddressKeys } from "./address-keys.js";
import type { EmittedStep } from "./ordering/emitted-step.js";
import { orderSteps } from "./ordering/order-steps.js";
import { orphanStepId, type Step } from "./step-types.js";
import { buildSteps } from "./steps-build.js";
import { stepInput } from "./steps-input.js";
import { taskSteps } from "./steps-tasks.js";
import { teardownSteps } from "./steps-teardown.js";
import type { Plan } from "./types.js";

/**
 * The steps that carry out `plan`. `desired` and `actual` must be the ones the plan was made from
 * (steps need the effective specs and the recorded ids). Throws a `failed-precondition` KukeError
 * when the plan has error diagnostics: such a plan must never reach the host.
 */
export function planToSteps(plan: Plan, desired: DesiredState, actual: ActualState): Step[] {
  const errors = plan.errors.filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new KukeError("failed-precondition", `the plan has ${errors.length} error(s) and cannot be applied`, {
      detail: errors.map((e) => `${e.address ? `${e.address}: ` : ""}${e.summary}`).join("\n"),
      remedy: errors[0]?.remedy,
    });
  }
  const input = stepInput(plan, desired, actual);
  const keys = sortAddressKeys(
    plan.changes.filter((c) => c.action !== "noop" && c.action !== "read").map((c) => c.address),
  );
  const emitted = [
    ...orphanSteps(plan),
    ...[...keys].reverse().flatMap((key) => teardownSteps(input, key)),
    ...keys.flatMap((key) => buildSteps(input, key)),
    ...taskSteps(input),
  ];
  return orderSteps(onePullPerImage(emitted));
}

/** One `orphan.remove` per orphan the plan lists, owned by the address it is attributed to. */
export function orphanSteps(plan: Pick<Plan, "orphans">): EmittedStep[] {
  return (plan.orphans ?? []).map((o) => ({
    step: {
      id: orphanStepId(o.object, o.namespace, o.id),
      kind: "orphan.remove",
      address: o.address,
      namespace: o.namespace,
      object: o.object,
      orphanId: o.id,
    },
    phase: "teardown",
    resource: o.address,
  }));
}

/** Every container emits the image.ensure of its image; one per realm and image is kept, the first. */
function onePullPerImage(emitted: EmittedStep[]): EmittedStep[] {
  const seen = new Set<string>();
  return emitted.filter((e) => {
    if (e.step.kind !== "image.ensure") return true;
    if (seen.has(e.step.id)) return false;
    seen.add(e.step.id);
    return true;
  });
}
