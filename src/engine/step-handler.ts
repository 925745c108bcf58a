import type { Step, StepKind } from "../planner/step-types.js";
import type { RunContext } from "./run-context.js";

/** Runs one step of kind `K` against the host; throws a KukeError when it fails. */
export type StepHandler<K extends StepKind> = (ctx: RunContext, step: Extract<Step, { kind: K }>) => Promise<void>;

/** One handler per step kind, grouped by executor in `*-steps.ts`. */
export type HandlerTable = { [K in StepKind]: StepHandler<K> };
