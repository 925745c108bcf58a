/**
 * `kuke apply` and `kuke destroy`: lock the run path, refresh, plan (or check a saved plan), show
 * it, ask, and run the steps through the engine. The lock is held from the refresh to the last
 * step, so the plan that runs is the plan of the host as it is.
 */
import type { EngineEvent, ExecuteResult, Host } from "../../engine/index.js";
import type { LoadResult } from "../../manifest/index.js";
import type { DesiredState, KukeError } from "../../model/index.js";
import type { Plan, planToSteps } from "../../planner/index.js";
import type { LockHolder } from "../../state/index.js";
import { type HostPaths, openHostAt } from "../host-paths.js";
import { checkMaxImpact, type Impact } from "../impact.js";
import { noteInterruptedApply, type PlanRequest, planFor, refreshFor } from "../planning.js";
import { runPlanSteps, type StepRef } from "../run-steps.js";
import { desiredForApply, type SavedPlan } from "../saved-plan.js";
import { assertPlanFresh } from "../stale-plan.js";
import { checkPlanImages, hostImageProbe } from "./image-check.js";
import { hasChanges, hasErrors } from "./plan.js";

/** What to apply: validated manifests (planned now), or a saved plan (checked against the host). */
export type ApplyInput =
  | { kind: "manifests"; load: LoadResult }
  /** A desired state built in code (`kuke init`'s realm `default`). */
  | { kind: "desired"; desired: DesiredState }
  | {
      kind: "saved";
      file: string;
      saved: SavedPlan;
      /** Re-reads the plan's manifests when it needs their registry passwords. */
      loadFiles: (files: string[]) => Promise<DesiredState>;
    };

export interface ApplyOptions extends HostPaths, PlanRequest {
  input: ApplyInput;
  /** Steps at once. @default 10 */
  parallelism?: number;
  /** Refuse (exit 5) a plan whose strongest change is beyond this. */
  maxImpact?: Impact;
  /** How long to wait for another kuke's lock. @default 30000 */
  lockTimeoutMs?: number;
  onLockWait?: (holder: LockHolder | undefined) => void;
  /** Called with the plan before anything changes (the command prints it). */
  onPlan?: (plan: Plan) => void;
  /** Asks for approval; absent means approved (`--auto-approve`). */
  confirm?: (plan: Plan) => Promise<boolean>;
  /** Step progress. Must not throw. */
  onEvent?: (e: EngineEvent) => void;
  /** Aborting stops starting new steps; running ones finish (Ctrl-C). */
  signal?: AbortSignal;
  /** Where `fromEnv` secrets come from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** SIGTERM grace when stopping tasks. @default the engine's */
  stopGraceMs?: number;
  onWarning?: (e: KukeError) => void;
  /** Shown to a kuke waiting for the lock, and kept in the journal. */
  command?: string;
}

export type ApplyOutcome =
  | { kind: "invalid"; load: LoadResult }
  | { kind: "plan-errors"; plan: Plan }
  | { kind: "no-changes"; plan: Plan }
  | { kind: "declined"; plan: Plan }
  | {
      kind: "applied";
      plan: Plan;
      result: ExecuteResult;
      /** Kind and address of every step by id (not the steps: image steps carry credentials). */
      steps: Record<string, StepRef>;
    };

export type { StepRef } from "../run-steps.js";

/**
 * Runs one apply. Throws KukeError `lock-held` (6), `stale-plan` (4), `guard` (5) or
 * `unavailable`; a failed or cancelled step is not thrown but reported in `result`.
 */
export async function applyPlan(o: ApplyOptions): Promise<ApplyOutcome> {
  if (o.input.kind === "manifests" && o.input.load.errorCount > 0) return { kind: "invalid", load: o.input.load };
  const host = await openHostAt(o);
  try {
    const lock = await host.lock.acquire({
      timeoutMs: o.lockTimeoutMs ?? 30_000,
      ...(o.onLockWait ? { onWait: o.onLockWait } : {}),
      ...(o.command ? { command: o.command } : {}),
    });
    try {
      return await applyLocked(host, o);
    } finally {
      await lock.release();
    }
  } finally {
    host.close();
  }
}

async function applyLocked(host: Host, o: ApplyOptions): Promise<ApplyOutcome> {
  let desired: DesiredState;
  let plan: Plan;
  const input = o.input;
  if (input.kind === "manifests" || input.kind === "desired") {
    desired = input.kind === "manifests" ? input.load.state : input.desired;
    const actual = await refreshFor(host, desired, o.onWarning, o.env);
    plan = planFor(desired, actual, o);
    await checkPlanImages(plan, desired, actual, hostImageProbe(host.containerd));
    await noteInterruptedApply(plan, host.journal);
    return runPlan(host, o, plan, desired, actual);
  }
  desired = await desiredForApply(input.saved, input.loadFiles);
  plan = input.saved.plan;
  const actual = await refreshFor(host, desired, o.onWarning, o.env);
  assertPlanFresh(plan, actual, input.file);
  return runPlan(host, o, plan, desired, actual);
}

async function runPlan(
  host: Host,
  o: ApplyOptions,
  plan: Plan,
  desired: DesiredState,
  actual: Parameters<typeof planToSteps>[2],
): Promise<ApplyOutcome> {
  o.onPlan?.(plan);
  if (hasErrors(plan)) return { kind: "plan-errors", plan };
  if (!hasChanges(plan)) return { kind: "no-changes", plan };
  if (o.maxImpact !== undefined) checkMaxImpact(plan, o.maxImpact);
  if (o.confirm && !(await o.confirm(plan))) return { kind: "declined", plan };
  const { result, steps } = await runPlanSteps(host, plan, desired, actual, o.command ?? "apply", o);
  return { kind: "applied", plan, result, steps };
}
