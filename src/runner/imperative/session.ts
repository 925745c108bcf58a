/**
 * What every imperative verb shares: opening the host, holding the run-path lock, reading the
 * host, and running a plan through the same engine `kuke apply` uses.
 */
import type { EngineEvent, ExecuteResult, Host } from "../../engine/index.js";
import { type ActualState, type DesiredState, KukeError, tryParseAddress } from "../../model/index.js";
import type { Plan } from "../../planner/index.js";
import { refresh, refreshScopeOf } from "../../refresh/index.js";
import type { LockHolder } from "../../state/index.js";
import { type HostPaths, openHostAt } from "../host-paths.js";
import { runPlanSteps, type StepRef } from "../run-steps.js";

/** How a Runner reaches the host and runs its plans. Everything but the paths is optional. */
export interface RunnerOptions extends HostPaths {
  /** How long to wait for another kuke's lock. @default 30000 */
  lockTimeoutMs?: number;
  /** Steps at once. @default 10 */
  parallelism?: number;
  /** SIGTERM grace when stopping a task whose process handles SIGTERM. @default 10000 */
  stopGraceMs?: number;
  /** Step progress. Must not throw. */
  onEvent?: (e: EngineEvent) => void;
  /** Called while waiting for another kuke's lock. */
  onLockWait?: (holder: LockHolder | undefined) => void;
  /** Problems that do not stop the operation (a corrupt record file). */
  onWarning?: (e: KukeError) => void;
  /** Aborting stops starting new steps; running ones finish (Ctrl-C). */
  signal?: AbortSignal;
  /** Where `fromEnv` secrets come from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** The clock that stamps plans. @default () => new Date() */
  now?: () => Date;
}

/** What a verb that changes the host did. */
export interface ChangeResult {
  /** The plan that ran (or would have: an empty plan when nothing needed doing). */
  plan: Plan;
  /** The engine's result; absent when the plan had nothing to do. */
  result?: ExecuteResult;
  /** Kind and address of every step by id. */
  steps: Record<string, StepRef>;
}

/** Runs `fn` on an open host without the lock (reads only: records are atomic files). */
export async function withHost<T>(o: RunnerOptions, fn: (host: Host) => Promise<T>): Promise<T> {
  const host = await openHostAt(o);
  try {
    return await fn(host);
  } finally {
    host.close();
  }
}

/**
 * Runs `fn` holding the run-path lock, from the refresh it does to the last step, as apply does.
 * @throws KukeError `lock-held` (exit 6) when another kuke keeps it past `lockTimeoutMs`.
 */
export function withLockedHost<T>(o: RunnerOptions, command: string, fn: (host: Host) => Promise<T>): Promise<T> {
  return withHost(o, async (host) => {
    const lock = await host.lock.acquire({
      timeoutMs: o.lockTimeoutMs ?? 30_000,
      command,
      ...(o.onLockWait ? { onWait: o.onLockWait } : {}),
    });
    try {
      return await fn(host);
    } finally {
      await lock.release();
    }
  });
}

/** The actual state: every record and what the host has for it, plus `extra`'s realms and paths. */
export function readHost(host: Host, o: RunnerOptions, extra?: DesiredState): Promise<ActualState> {
  const scope = extra ? refreshScopeOf(extra) : { namespaces: [] };
  return refresh(host, { ...scope, ...(o.onWarning ? { onWarning: o.onWarning } : {}) });
}

/** The first error diagnostic of a plan as the KukeError a verb throws (exit 1 with its remedy). */
export function planError(plan: Plan): KukeError | undefined {
  const errors = plan.errors.filter((e) => e.severity === "error");
  const first = errors[0];
  if (first === undefined) return undefined;
  const more = errors.slice(1).map((e) => `${e.address ? `${e.address}: ` : ""}${e.summary}`);
  const detail = [first.detail, ...more].filter((l): l is string => l !== undefined && l !== "").join("\n");
  return new KukeError(first.code, first.summary, {
    ...(first.address ? { address: parseAddressLoose(first.address) } : {}),
    ...(detail !== "" ? { detail } : {}),
    ...(first.remedy ? { remedy: first.remedy } : {}),
  });
}

function parseAddressLoose(key: string) {
  const r = tryParseAddress(key);
  return r.ok ? r.address : undefined;
}

/** True when the plan has anything to run. */
export function planDoesSomething(plan: Plan): boolean {
  return (
    plan.changes.some((c) => c.action !== "noop" && c.action !== "read") ||
    (plan.tasks?.length ?? 0) > 0 ||
    (plan.runStates?.length ?? 0) > 0
  );
}

/**
 * Runs `plan` through the engine (the caller holds the lock). Throws the plan's first error
 * diagnostic instead of running a plan that has errors; a failed step is reported in `result`.
 */
export async function runPlan(
  host: Host,
  o: RunnerOptions,
  plan: Plan,
  desired: DesiredState,
  actual: ActualState,
  command: string,
): Promise<ChangeResult> {
  const error = planError(plan);
  if (error !== undefined) throw error;
  if (!planDoesSomething(plan)) return { plan, steps: {} };
  const { result, steps } = await runPlanSteps(host, plan, desired, actual, command, o);
  return { plan, result, steps };
}

/** `now` of the options, as the ISO string plans carry. */
export function nowIso(o: RunnerOptions): string {
  return (o.now?.() ?? new Date()).toISOString();
}

export const EMPTY_DESIRED: DesiredState = { realms: [], spaces: [], stacks: [], cells: [], looseContainers: [] };
