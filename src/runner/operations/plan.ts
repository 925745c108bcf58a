import type { LoadResult, ManifestSource } from "../../manifest/index.js";
import type { ActualState, DesiredState, KukeError } from "../../model/index.js";
import type { Plan } from "../../planner/index.js";
import type { HostPaths } from "../host-paths.js";
import { noteImageWarnings } from "../image-digests.js";
import { planSources } from "../manifests.js";
import { withHost } from "../pipeline.js";
import {
  emptyActual,
  imageOptionsFor,
  noteInterruptedApply,
  type PlanRequest,
  planFor,
  refreshFor,
} from "../planning.js";
import { redactDesired, SAVED_PLAN_VERSION, type SavedPlan } from "../saved-plan.js";
import { checkPlanImages } from "./image-check.js";

export interface PlanManifestsOptions extends HostPaths, PlanRequest {
  /** The manifests, already read and validated (see `readManifests`). */
  load: LoadResult;
  sources: ManifestSource[];
  /** Problems that do not stop the plan (a corrupt record file). */
  onWarning?: (e: KukeError) => void;
  /** Where `fromEnv` secrets are read (digested for the plan), as apply will. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
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
    ({ actual, plan } = await withHost(o, async (host) => {
      const actual = await refreshFor(host, desired, o.onWarning, o.env ?? process.env, imageOptionsFor(o));
      const plan = planFor(desired, actual, o);
      checkPlanImages(plan, desired, actual);
      noteImageWarnings(plan, actual);
      await noteInterruptedApply(plan, host.journal);
      return { actual, plan };
    }));
  }
  const saved: SavedPlan = {
    saved_plan_version: SAVED_PLAN_VERSION,
    plan,
    desired: redactDesired(desired, actual.credentialDigests),
    ...(actual.imageDigests !== undefined ? { imageDigests: actual.imageDigests } : {}),
    sources: planSources(o.sources),
  };
  return { kind: "planned", plan, desired, actual, saved };
}

/**
 * True when the plan changes anything (what `--detailed-exitcode` reports as exit 2): a resource,
 * or an orphan of an interrupted apply to remove.
 */
export function hasChanges(plan: Plan): boolean {
  return plan.changes.some((c) => c.action !== "noop" && c.action !== "read") || (plan.orphans?.length ?? 0) > 0;
}

/** True when the plan has error diagnostics (it must not be applied). */
export function hasErrors(plan: Plan): boolean {
  return plan.errors.some((e) => e.severity === "error");
}

/**
 * The exit code of a plan with errors: 5 when a guard refused it (`lifecycle.preventDestroy`),
 * as `--max-impact` does; 1 for any other plan error.
 */
export function planErrorExitCode(plan: Plan): number {
  return plan.errors.some((e) => e.severity === "error" && e.code === "guard") ? 5 : 1;
}
