/**
 * `kuke apply` and `kuke destroy`: the pipeline with a plan stage that plans the manifests (or
 * checks a saved plan) and guards that show the plan, check `--max-impact` and ask. The lock is
 * held from the refresh to the last step, so the plan that runs is the plan of the host as it is.
 */
import type { Host } from "../../engine/index.js";
import type { LoadResult } from "../../manifest/index.js";
import type { DesiredState } from "../../model/index.js";
import type { Plan } from "../../planner/index.js";
import { lazySecretDigester } from "../../state/index.js";
import { noteImageWarnings } from "../image-digests.js";
import { checkMaxImpact, type Impact } from "../impact.js";
import { type Guard, type PipelineOptions, type RunReport, runPipeline, type StepRef, type Work } from "../pipeline.js";
import { imageOptionsFor, noteInterruptedApply, type PlanRequest, planFor, refreshFor } from "../planning.js";
import { desiredForApply, type SavedPlan } from "../saved-plan.js";
import { credentialDigests } from "../secret-hashes.js";
import { assertPlanFresh } from "../stale-plan.js";
import { checkPlanImages } from "./image-check.js";
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

export interface ApplyOptions extends PipelineOptions, PlanRequest {
  input: ApplyInput;
  /** Refuse (exit 5) a plan whose strongest change is beyond this. */
  maxImpact?: Impact;
  /** Called with the plan before anything changes (the command prints it). */
  onPlan?: (plan: Plan) => void;
  /** Asks for approval; absent means approved (`--auto-approve`). */
  confirm?: (plan: Plan) => Promise<boolean>;
  /** Shown to a kuke waiting for the lock, and kept in the journal. @default "apply" */
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
      result: RunReport;
      /** Kind and address of every step by id (not the steps: image steps carry credentials). */
      steps: Record<string, StepRef>;
    };

/**
 * Runs one apply through the pipeline. Throws KukeError `lock-held` (6), `stale-plan` (4), `guard`
 * (5) or `unavailable`; a failed or cancelled step is not thrown but reported in `result`.
 */
export async function applyPlan(o: ApplyOptions): Promise<ApplyOutcome> {
  if (o.input.kind === "manifests" && o.input.load.errorCount > 0) return { kind: "invalid", load: o.input.load };
  const r = await runPipeline(o, o.command ?? "apply", { plan: (s) => planApply(s.host, o), guards: applyGuards(o) });
  if (!r.ran) return { kind: r.stop, plan: r.work.plan };
  return { kind: "applied", plan: r.work.plan, result: r.result, steps: r.steps };
}

/** Refresh and plan (manifests or a state built in code), or refresh and check a saved plan. */
async function planApply(host: Host, o: ApplyOptions): Promise<Work> {
  const input = o.input;
  if (input.kind === "manifests" || input.kind === "desired") {
    const desired = input.kind === "manifests" ? input.load.state : input.desired;
    const actual = await refreshFor(host, desired, o.onWarning, o.env, imageOptionsFor(o));
    const plan = planFor(desired, actual, o);
    checkPlanImages(plan, desired, actual);
    noteImageWarnings(plan, actual);
    await noteInterruptedApply(plan, host.journal);
    return { plan, desired, actual };
  }
  const desired = await desiredForApply(input.saved, input.loadFiles, (d) =>
    credentialDigests(d, lazySecretDigester(host.runPath)),
  );
  // The digests the plan showed, not what the tags name by now: the plan runs exactly those.
  const actual = await refreshFor(host, desired, o.onWarning, o.env, { fixed: input.saved.imageDigests ?? {} });
  assertPlanFresh(input.saved.plan, actual, input.file);
  return { plan: input.saved.plan, desired, actual };
}

type ApplyStop = "plan-errors" | "no-changes" | "declined";

/** Show the plan, then stop on errors or no changes, refuse beyond `--max-impact`, ask. */
function applyGuards(o: ApplyOptions): Guard<ApplyStop>[] {
  return [
    ({ plan }) => {
      o.onPlan?.(plan);
      return hasErrors(plan) ? "plan-errors" : hasChanges(plan) ? undefined : "no-changes";
    },
    ({ plan }) => {
      if (o.maxImpact !== undefined) checkMaxImpact(plan, o.maxImpact);
      return undefined;
    },
    async ({ plan }) => (o.confirm && !(await o.confirm(plan)) ? "declined" : undefined),
  ];
}
