/**
 * Plan → steps. Teardown runs children before parents, creation parents before children; inside a
 * cell the order is fixed by DESIGN §4. Cells only ever depend on their parents' steps (and share
 * image pulls), so independent cells run in parallel.
 */
import { type ActualState, type DesiredState, KukeError } from "../model/index.js";
import { sortAddressKeys } from "./address-keys.js";
import { indexDesired } from "./resource-view.js";
import type { Step } from "./step-types.js";
import { build } from "./steps-build.js";
import type { Ctx } from "./steps-context.js";
import { taskSteps } from "./steps-tasks.js";
import { teardown } from "./steps-teardown.js";
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
  const ctx: Ctx = {
    plan,
    actual,
    entries: indexDesired(desired, actual),
    credentials: new Map(desired.realms.map((r) => [r.name, r.spec.registryCredentials])),
    changes: new Map(plan.changes.map((c) => [c.address, c])),
    drift: new Map(),
    steps: new Map(),
    gone: new Map(),
    goneByParent: new Map(),
    byAddress: new Map(),
    ready: new Map(),
  };
  for (const d of plan.drift) {
    const set = ctx.drift.get(d.address) ?? new Set();
    set.add(d.kind);
    ctx.drift.set(d.address, set);
  }
  const keys = sortAddressKeys(
    plan.changes.filter((c) => c.action !== "noop" && c.action !== "read").map((c) => c.address),
  );
  for (const key of [...keys].reverse()) teardown(ctx, key);
  for (const key of keys) build(ctx, key);
  taskSteps(ctx);
  return [...ctx.steps.values()];
}
