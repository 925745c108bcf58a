/**
 * `kuke plan` (and `kuke graph`): validate the files, read the host, plan. Plan takes no lock:
 * every record file is written atomically, so reading without the lock sees each record either
 * before or after a concurrent apply, never torn. A plan made while an apply runs may be out of
 * date; that is harmless, because apply always re-plans under the lock, and a saved plan is
 * checked against the host's fingerprints before it runs.
 */
import { openHost } from "../../engine/host.js";
import type { LoadResult, ManifestSource } from "../../manifest/index.js";
import type { DesiredState, KukeError } from "../../model/index.js";
import type { ActualState, Plan } from "../../planner/index.js";
import { type HostPaths, resolveContainerd } from "../host-paths.js";
import { planSources } from "../manifests.js";
import { emptyActual, noteInterruptedApply, type PlanRequest, planFor, refreshFor } from "../planning.js";
import { redactDesired, SAVED_PLAN_VERSION, type SavedPlan } from "../saved-plan.js";
import { checkPlanImages, hostImageProbe } from "./image-check.js";

export interface PlanManifestsOptions extends HostPaths, PlanRequest {
  /** The manifests, already read and validated (see `readManifests`). */
  load: LoadResult;
  sources: ManifestSource[];
  /** Problems that do not stop the plan (a corrupt record file). */
  onWarning?: (e: KukeError) => void;
}

export type PlanOutcome =
  | { kind: "invalid"; load: LoadResult }
  | { kind: "planned"; plan: Plan; desired: DesiredState; actual: ActualState; saved: SavedPlan };

/** Plans validated manifests against the host (or an empty host with `refresh: false`). */
export async function planManifests(o: PlanManifestsOptions): Promise<PlanOutcome> {
  if (o.load.errorCount > 0) return { kind: "invalid", load: o.load };
  const desired = o.load.state;
  let actual: ActualState;
  let plan: Plan;
  if (o.refresh === false) {
    actual = emptyActual();
    plan = planFor(desired, actual, o);
  } else {
    const ctd = await resolveContainerd(o);
    const host = await openHost({
      runPath: o.runPath,
      runtimeDir: o.runtimeDir,
      containerdAddress: ctd.address,
      ...(ctd.runcRoot ? { runcRoot: ctd.runcRoot } : {}),
    });
    try {
      actual = await refreshFor(host, desired, o.onWarning);
      plan = planFor(desired, actual, o);
      await checkPlanImages(plan, desired, actual, hostImageProbe(host.containerd));
      await noteInterruptedApply(plan, host.journal);
    } finally {
      host.close();
    }
  }
  const saved: SavedPlan = {
    saved_plan_version: SAVED_PLAN_VERSION,
    plan,
    desired: redactDesired(desired),
    sources: planSources(o.sources),
  };
  return { kind: "planned", plan, desired, actual, saved };
}

/** True when the plan changes anything (what `--detailed-exitcode` reports as exit 2). */
export function hasChanges(plan: Plan): boolean {
  return plan.changes.some((c) => c.action !== "noop" && c.action !== "read");
}

/** True when the plan has error diagnostics (it must not be applied). */
export function hasErrors(plan: Plan): boolean {
  return plan.errors.some((e) => e.severity === "error");
}
