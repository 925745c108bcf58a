/**
 * kuke's one pipeline: open host → lock → refresh → plan → guards → engine → records. `kuke apply`,
 * `kuke destroy`, every imperative verb and `kuke purge` change the host only through it (DESIGN
 * §4, CONVENTIONS 14). Each brings its own plan stage (manifests, a saved plan, the records with a
 * requested change laid over them, or purge's discovery) and its guards; opening the host, the
 * lock, running the steps and reporting them are done here once. Records are written by the
 * run's own `record.*` steps, so they say what the engine did, step by step.
 */
import { type EngineEvent, type ExecuteResult, executeSteps, type Host } from "../engine/index.js";
import type { NodeOutcome, WalkSummary } from "../graph/index.js";
import { type ActualState, type DesiredState, KukeError, tryParseAddress } from "../model/index.js";
import { type Plan, planToSteps, type Step, type StepKind } from "../planner/index.js";
import { refresh, refreshScopeOf } from "../refresh/index.js";
import type { LockHolder, StaleLock } from "../state/index.js";
import type { HostPaths } from "./host-paths.js";
import { capContainerLogs } from "./log-caps.js";
import { openHostAt } from "./open-host.js";

/** How the pipeline reaches the host and runs its steps. Everything but the paths is optional. */
export interface PipelineOptions extends HostPaths {
  /** How long to wait for another kuke's lock. @default 30000 */
  lockTimeoutMs?: number;
  /** Steps at once. @default 10 */
  parallelism?: number;
  /** SIGTERM grace when stopping a task whose process handles SIGTERM. @default 10000 */
  stopGraceMs?: number;
  /** Step progress. Must not throw. */
  onEvent?: (e: RunEvent) => void;
  /** How many steps the engine is about to run (before its first event). Must not throw. */
  onSteps?: (total: number) => void;
  /** Called while waiting for another kuke's lock. */
  onLockWait?: (holder: LockHolder | undefined) => void;
  /** Called when the lock of a kuke that is gone is taken over (say whose it was). */
  onLockTakeover?: (stale: StaleLock) => void;
  /** Problems that do not stop the operation (a corrupt record file). */
  onWarning?: (e: KukeError) => void;
  /** Aborting stops starting new steps, and stops waiting for the lock; running steps finish (Ctrl-C). */
  signal?: AbortSignal;
  /**
   * Aborting abandons the steps still running (a second Ctrl-C, or the grace after the first):
   * they are journaled as aborted and the run ends at once, releasing the lock.
   */
  abortSteps?: AbortSignal;
  /** Where `fromEnv` secrets come from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** The clock that stamps plans. @default () => new Date() */
  now?: () => Date;
}

/** Progress of a run: a step started, succeeded, failed or was skipped, or a step's note. */
export type RunEvent = EngineEvent;

/** What a caller may print about a step after the run (steps themselves can carry credentials). */
export interface StepRef {
  kind: StepKind;
  address: string;
}

/** What one engine run did, as plain data for renderers and library callers. */
export interface RunReport {
  status: ExecuteResult["status"];
  cancelled: boolean;
  /** The journal this run wrote (`<run path>/journal/<applyId>.jsonl`). */
  applyId: string;
  /** Steps by outcome. */
  summary: WalkSummary;
  /** The steps that failed on their own (root causes), in walk order. */
  failures: ExecuteResult["failures"];
  /** What steps wanted the user to know that is neither progress nor failure. */
  notes: ExecuteResult["notes"];
  /** Outcome of every step, by step id. */
  outcomes: Record<string, NodeOutcome>;
  /**
   * Each resource once, under the worst outcome among its steps (failed, then skipped, then not
   * started): a resource is "succeeded" only when every one of its steps succeeded. Sorted.
   */
  resources: { failed: string[]; skipped: string[]; notStarted: string[]; succeeded: string[] };
}

/** What a verb that changes the host did. */
export interface ChangeResult {
  /** The plan that ran (or would have: an empty plan when nothing needed doing). */
  plan: Plan;
  /** What the engine did; absent when the plan had nothing to do. */
  result?: RunReport;
  /** Kind and address of every step by id. */
  steps: Record<string, StepRef>;
}

/** What one pass hands the engine: a plan with the states it was made from (the steps need both). */
export interface Work {
  plan: Plan;
  desired: DesiredState;
  actual: ActualState;
}

/**
 * Looks at the work before anything changes: returns a reason to stop (the caller's outcome),
 * throws a KukeError to refuse (a guard: exit 5, a plan error…), or returns undefined to go on.
 */
export type Guard<S> = (work: Work) => S | undefined | Promise<S | undefined>;

export type PassOutcome<S> =
  | { ran: false; stop: S; work: Work }
  | { ran: true; work: Work; result: RunReport; steps: Record<string, StepRef> };

/** An open, locked host and the pipeline stages that run on it. */
export interface Session {
  host: Host;
  /** Refresh: every record and what the host has for it, plus `extra`'s realms and cgroups. */
  refresh(extra?: DesiredState): Promise<ActualState>;
  /** Guards, then the engine (whose `record.*` steps keep the records). */
  pass<S>(work: Work, guards: readonly Guard<S>[]): Promise<PassOutcome<S>>;
  /** The engine for steps that come from no plan (purge's discovery); `meta` goes to the journal. */
  run(steps: Step[], meta: Record<string, unknown>): Promise<{ result: RunReport; steps: Record<string, StepRef> }>;
}

/** Runs `fn` on the host (the injected one, or one opened here and closed after) without the lock. */
export async function withHost<T>(o: HostPaths, fn: (host: Host) => Promise<T>): Promise<T> {
  if (o.host !== undefined) return fn(o.host);
  const host = await openHostAt(o);
  try {
    return await fn(host);
  } finally {
    host.close();
  }
}

/**
 * Runs `fn` holding the run-path lock, from its refresh to the last step.
 * @throws KukeError `lock-held` (exit 6) when another kuke keeps it past `lockTimeoutMs`.
 */
export function withLock<T>(o: PipelineOptions, command: string, fn: (s: Session) => Promise<T>): Promise<T> {
  return withHost(o, async (host) => {
    const lock = await host.lock.acquire({
      timeoutMs: o.lockTimeoutMs ?? 30_000,
      command,
      ...(o.onLockWait ? { onWait: o.onLockWait } : {}),
      ...(o.onLockTakeover ? { onTakeover: o.onLockTakeover } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    try {
      return await fn(session(host, o, command));
    } finally {
      await lock.release();
    }
  });
}

/** The whole pipeline for one plan: lock, `plan` (which refreshes), guards, engine. */
export function runPipeline<S>(
  o: PipelineOptions,
  command: string,
  stages: { plan: (s: Session) => Promise<Work>; guards: readonly Guard<S>[] },
): Promise<PassOutcome<S>> {
  return withLock(o, command, async (s) => s.pass(await stages.plan(s), stages.guards));
}

/**
 * The pipeline of the imperative verbs: a plan with errors is refused (its first error thrown,
 * exit 1 with its remedy), a plan with nothing to do runs nothing.
 */
export async function runChange(
  o: PipelineOptions,
  command: string,
  plan: (s: Session) => Promise<Work>,
): Promise<ChangeResult> {
  const r = await runPipeline(o, command, { plan, guards: [refusePlanErrors, skipEmptyPlan] });
  return r.ran ? { plan: r.work.plan, result: r.result, steps: r.steps } : { plan: r.work.plan, steps: {} };
}

/** Guard: throws the plan's first error diagnostic as the KukeError a verb fails with. */
export const refusePlanErrors: Guard<never> = (work) => {
  const error = planError(work.plan);
  if (error !== undefined) throw error;
  return undefined;
};

/** Guard: stops when the plan has nothing to run (no change, task operation or run state). */
export const skipEmptyPlan: Guard<"nothing"> = (work) => (planDoesSomething(work.plan) ? undefined : "nothing");

function session(host: Host, o: PipelineOptions, command: string): Session {
  const run: Session["run"] = async (steps, meta) => {
    o.onSteps?.(steps.length);
    const result = await executeSteps(host, steps, {
      parallelism: o.parallelism ?? 10,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.abortSteps ? { abortSteps: o.abortSteps } : {}),
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
      ...(o.env ? { env: o.env } : {}),
      ...(o.stopGraceMs !== undefined ? { stopGraceMs: o.stopGraceMs } : {}),
      journalMeta: { command, ...meta },
    });
    const refs: Record<string, StepRef> = {};
    for (const st of steps) refs[st.id] = { kind: st.kind, address: st.address };
    return { result: runReport(result, refs), steps: refs };
  };
  return {
    host,
    refresh: (extra) => readHost(host, o, extra),
    async pass<S>(work: Work, guards: readonly Guard<S>[]): Promise<PassOutcome<S>> {
      // Under the lock, before anything else: logs over their cap are rotated on every locked run.
      await capContainerLogs(o.runPath, work.desired, work.actual, o.onWarning);
      for (const guard of guards) {
        const stop = await guard(work);
        if (stop !== undefined) return { ran: false, stop, work };
      }
      const steps = planToSteps(work.plan, work.desired, work.actual);
      const r = await run(steps, { project: work.plan.options.project, summary: work.plan.summary });
      return { ran: true, work, ...r };
    },
    run,
  };
}

/**
 * The actual state: every record and what the host has for it, plus `extra`'s realms and cgroups.
 * Without the lock for readers (`kuke get`): records are atomic files.
 */
export function readHost(
  host: Host,
  o: Pick<PipelineOptions, "onWarning">,
  extra?: DesiredState,
): Promise<ActualState> {
  const scope = extra ? refreshScopeOf(extra) : { namespaces: [] };
  return refresh(host, { ...scope, ...(o.onWarning ? { onWarning: o.onWarning } : {}) });
}

/** The engine's result as plain data, with each resource under its worst step outcome. */
export function runReport(result: ExecuteResult, steps: Record<string, StepRef>): RunReport {
  const rank = { failed: 3, skipped: 2, "not-started": 1, succeeded: 0 } as const;
  const worst = new Map<string, keyof typeof rank>();
  const outcomes: RunReport["outcomes"] = {};
  for (const [id, o] of result.walk.outcomes) {
    outcomes[id] = o;
    const address = steps[id]?.address ?? id;
    const seen = worst.get(address);
    if (seen === undefined || rank[o.status] > rank[seen]) worst.set(address, o.status);
  }
  const pick = (status: keyof typeof rank) =>
    [...worst]
      .filter(([, s]) => s === status)
      .map(([a]) => a)
      .sort();
  return {
    status: result.status,
    cancelled: result.cancelled,
    applyId: result.applyId,
    summary: result.walk.summary,
    failures: result.failures,
    notes: result.notes,
    outcomes,
    resources: {
      failed: pick("failed"),
      skipped: pick("skipped"),
      notStarted: pick("not-started"),
      succeeded: pick("succeeded"),
    },
  };
}

/** The first error diagnostic of a plan as the KukeError a verb throws (exit 1 with its remedy). */
export function planError(plan: Plan): KukeError | undefined {
  const errors = plan.errors.filter((e) => e.severity === "error");
  const first = errors[0];
  if (first === undefined) return undefined;
  const more = errors.slice(1).map((e) => `${e.address ? `${e.address}: ` : ""}${e.summary}`);
  const detail = [first.detail, ...more].filter((l): l is string => l !== undefined && l !== "").join("\n");
  const address = first.address ? tryParseAddress(first.address) : undefined;
  return new KukeError(first.code, first.summary, {
    ...(address?.ok ? { address: address.address } : {}),
    ...(detail !== "" ? { detail } : {}),
    ...(first.remedy ? { remedy: first.remedy } : {}),
  });
}

/** True when the plan has anything to run. */
export function planDoesSomething(plan: Plan): boolean {
  return (
    plan.changes.some((c) => c.action !== "noop" && c.action !== "read") ||
    (plan.tasks?.length ?? 0) > 0 ||
    (plan.runStates?.length ?? 0) > 0
  );
}

/** `now` of the options, as the ISO string plans carry. */
export function nowIso(o: Pick<PipelineOptions, "now">): string {
  return (o.now?.() ?? new Date()).toISOString();
}

export const EMPTY_DESIRED: DesiredState = { realms: [], spaces: [], stacks: [], cells: [], looseContainers: [] };
