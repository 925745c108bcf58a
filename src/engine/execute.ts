import { buildGraph } from "../graph/transforms.js";
import { type WalkEvent, type WalkResult, walk } from "../graph/walk.js";
import { parseAddress } from "../model/address.js";
import { isKukeError, KukeError } from "../model/errors.js";
import type { Step, StepKind } from "../planner/step-types.js";
import type { JournalStepStatus } from "../state/apply-journal.js";
import { hangStepFromEnv, JournalKillSwitch, killPointFromEnv, StepHang } from "./fault-injection.js";
import { HANDLERS } from "./handlers.js";
import type { Host } from "./host.js";
import { newRunContext, type RunContext } from "./run-context.js";
import type { StepHandler } from "./step-handler.js";

/**
 * Something a step wants the user to know that is neither progress nor a failure, e.g. a realm's
 * namespace kept on destroy because it still holds images.
 */
export interface EngineNote {
  type: "note";
  /** The step that made the note. */
  id: string;
  kind: StepKind;
  address: string;
  /** One line, e.g. `namespace r.kukeon.io kept: it holds 1 image (kuke image rm REF --realm r)`. */
  text: string;
}

/**
 * A walk event with the step it is about (never the step itself: image steps carry credentials),
 * or a note from a step.
 */
export type EngineEvent = (WalkEvent & { kind: StepKind; address: string }) | EngineNote;

export interface ExecuteOptions {
  /**
   * How many steps may run at once.
   * @default 10
   */
  parallelism?: number;
  /** Ctrl-C: running steps finish, nothing new starts, the journal ends as `cancelled`. */
  signal?: AbortSignal;
  /**
   * A second Ctrl-C: the steps still running are abandoned. Each ends `failed` with a `cancelled`
   * error in the result and the journal (so the next plan knows it may have half happened), and the
   * run returns at once as `cancelled`.
   */
  abortSteps?: AbortSignal;
  /** Progress, for a reporter. Must not throw. */
  onEvent?: (event: EngineEvent) => void;
  /** Stored in the journal's `begin` line (command, project, plan summary…). */
  journalMeta?: Record<string, unknown>;
  /**
   * Environment `fromEnv` secrets are read from.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * SIGTERM grace before SIGKILL when stopping a task whose process handles SIGTERM.
   * @default 10000
   */
  stopGraceMs?: number;
}

/** A step that failed on its own (a root cause; steps skipped because of it are not listed). */
export interface StepFailure {
  stepId: string;
  kind: StepKind;
  address: string;
  error: KukeError;
}

export interface ExecuteResult {
  walk: WalkResult;
  failures: StepFailure[];
  cancelled: boolean;
  /** The journal this run wrote (`<run path>/journal/<applyId>.jsonl`). */
  applyId: string;
  /** Notes the steps made, in the order they were made (also sent to `onEvent`). */
  notes: EngineNote[];
  status: "succeeded" | "failed" | "cancelled";
}

/**
 * Runs `steps` on the host as a dependency graph: each step starts once every step it depends on
 * succeeded, at most `parallelism` at once; a failed step skips its dependents while independent
 * branches finish. Every step gets a `start` and an `end` line in a new apply journal, which ends
 * with the run's status. The caller holds the run-path lock for the whole refresh → plan → apply.
 *
 * Resolves with per-step outcomes and the root-cause failures; rejects only for a graph that
 * cannot be built (a bug in plan → steps) or a journal that cannot be written.
 */
export async function executeSteps(host: Host, steps: Step[], options: ExecuteOptions = {}): Promise<ExecuteResult> {
  const graph = buildGraph(steps);
  const notes: EngineNote[] = [];
  const note = (step: Step, text: string) => {
    const n: EngineNote = { type: "note", id: step.id, kind: step.kind, address: step.address, text };
    notes.push(n);
    options.onEvent?.(n);
  };
  const ctx = newRunContext(host, options.env ?? process.env, options.stopGraceMs ?? 10_000, note);
  ctx.dns.willDetach(steps.filter((s) => s.kind === "cni.detach").map((s) => s.address));
  const kill = new JournalKillSwitch(killPointFromEnv());
  const journal = await host.journal.begin(
    { ...options.journalMeta, steps: steps.length },
    steps.map((s) => s.address),
  );
  kill.wrote();
  const byId = new Map(steps.map((s) => [s.id, s]));
  const ended = new Set<string>();

  const onEvent = (e: WalkEvent) => {
    const step = byId.get(e.id) as Step;
    const base = { step: e.id, address: step.address };
    if (e.type === "start") {
      journal.record({ event: "start", ...base });
      kill.wrote();
    } else {
      const status: JournalStepStatus = e.type === "succeed" ? "succeeded" : e.type === "fail" ? "failed" : "skipped";
      const error = e.type === "fail" ? errorLine(e.error) : undefined;
      journal.record({ event: "end", ...base, status, ...(error !== undefined ? { error } : {}) });
      kill.wrote();
      ended.add(e.id);
    }
    options.onEvent?.({ ...e, kind: step.kind, address: step.address });
  };

  const abandon = abandonSignal(options.abortSteps);
  const hang = new StepHang(hangStepFromEnv(), abandon);
  let result: WalkResult;
  try {
    result = await walk(graph, (step) => hang.after(step.kind, runStep(ctx, step)), {
      parallelism: options.parallelism ?? 10,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(abandon ? { abandon } : {}),
      onEvent,
    });
  } catch (e) {
    // The walk's own fault is what the caller must see, not a second failure while journaling it.
    await journal.finish({ status: "failed", error: errorLine(e) }).catch(() => undefined);
    throw e;
  }
  for (const [id, o] of result.outcomes) {
    if (o.status === "not-started" && !ended.has(id)) {
      journal.record({ event: "end", step: id, address: (byId.get(id) as Step).address, status: "not-started" });
    }
  }
  // Cells whose detach failed or never ran get the name updates their rewrites skipped. Their files
  // are rebuilt from the attachments on any later attach or detach in the space, so a failure here
  // leaves nothing the next run cannot mend.
  await ctx.dns.settle().catch(() => undefined);
  const failures: StepFailure[] = [];
  for (const [id, o] of result.outcomes) {
    if (o.status !== "failed") continue;
    const step = byId.get(id) as Step;
    failures.push({ stepId: id, kind: step.kind, address: step.address, error: o.error as KukeError });
  }
  const status = result.cancelled ? "cancelled" : failures.length > 0 ? "failed" : "succeeded";
  await journal.finish({ status, ...result.summary });
  return { walk: result, failures, cancelled: result.cancelled, applyId: journal.applyId, status, notes };
}

/** The walk's `abandon` signal, whose reason is the error an abandoned step ends with. */
function abandonSignal(abortSteps: AbortSignal | undefined): AbortSignal | undefined {
  if (abortSteps === undefined) return undefined;
  const reason = () =>
    new KukeError("cancelled", "abandoned while running: kuke was stopped before this step finished", {
      detail: "the step may have half happened; the journal records it as aborted",
      remedy: "run the same kuke command again: it finishes what this step started",
    });
  const c = new AbortController();
  if (abortSteps.aborted) c.abort(reason());
  else abortSteps.addEventListener("abort", () => c.abort(reason()), { once: true });
  return c.signal;
}

/** Dispatches to the step's handler; anything that is not a KukeError is classified here, once. */
async function runStep(ctx: RunContext, step: Step): Promise<void> {
  const handler = HANDLERS[step.kind] as StepHandler<typeof step.kind>;
  try {
    await handler(ctx, step as never);
  } catch (e) {
    if (isKukeError(e)) throw e.address !== undefined ? e : withAddress(e, step.address);
    throw new KukeError("runtime", `${step.kind} failed unexpectedly (this is a bug)`, {
      address: parseAddress(step.address),
      detail: e instanceof Error ? (e.stack ?? e.message) : String(e),
      cause: e,
    });
  }
}

/** The same error, naming the step's resource so a summary line can say where it happened. */
function withAddress(e: KukeError, address: string): KukeError {
  return new KukeError(e.code, e.message, {
    address: parseAddress(address),
    detail: e.detail,
    remedy: e.remedy,
    cause: e.cause ?? e,
  });
}

/** One line for the journal: code and summary only (details may quote host output, never secrets). */
function errorLine(e: unknown): string {
  return isKukeError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
}
