import { type EngineEvent, type ExecuteResult, executeSteps, type Host } from "../engine/index.js";
import type { ActualState, DesiredState } from "../model/index.js";
import { type Plan, planToSteps, type StepKind } from "../planner/index.js";

/** What a caller may print about a step after the run (steps themselves can carry credentials). */
export interface StepRef {
  kind: StepKind;
  address: string;
}

export interface RunStepsOptions {
  parallelism?: number | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: ((e: EngineEvent) => void) | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  stopGraceMs?: number | undefined;
}

/**
 * Turns a checked plan into steps and runs them: the one place where `kuke apply` and every
 * imperative verb hand work to the engine, so both journal and report a run the same way.
 */
export async function runPlanSteps(
  host: Host,
  plan: Plan,
  desired: DesiredState,
  actual: ActualState,
  command: string,
  o: RunStepsOptions,
): Promise<{ result: ExecuteResult; steps: Record<string, StepRef> }> {
  const steps = planToSteps(plan, desired, actual);
  const result = await executeSteps(host, steps, {
    parallelism: o.parallelism ?? 10,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    ...(o.env ? { env: o.env } : {}),
    ...(o.stopGraceMs !== undefined ? { stopGraceMs: o.stopGraceMs } : {}),
    journalMeta: { command, project: plan.options.project, summary: plan.summary },
  });
  const refs: Record<string, StepRef> = {};
  for (const st of steps) refs[st.id] = { kind: st.kind, address: st.address };
  return { result, steps: refs };
}
