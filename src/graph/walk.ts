import PQueue from "p-queue";
import type { Dag, DagNode } from "./dag.js";

/**
 * Where a node ended up. Only `failed` nodes are root causes: a node whose dependency failed is
 * `skipped` (never started), and a node that had not started when the walk was cancelled is
 * `not-started`.
 */
export type NodeStatus = "succeeded" | "failed" | "skipped" | "not-started";

export interface NodeOutcome {
  status: NodeStatus;
  /** What `run` threw; set only when `status` is `failed`. */
  error?: unknown;
  /** The id of the failed node this one transitively depended on; set only when `skipped`. */
  skippedBecause?: string;
  /** Milliseconds from the start of the walk to the start of `run`; unset if it never started. */
  startMs?: number;
  /** Milliseconds from the start of the walk to the end of `run`. */
  endMs?: number;
}

/** Progress, in the order things happen. `elapsedMs` counts from the start of the walk. */
export type WalkEvent =
  | { type: "start"; id: string; elapsedMs: number }
  | { type: "succeed"; id: string; elapsedMs: number; durationMs: number }
  | { type: "fail"; id: string; elapsedMs: number; durationMs: number; error: unknown }
  | { type: "skip"; id: string; elapsedMs: number; because: string };

export interface WalkOptions {
  /**
   * How many nodes may run at once.
   * @default 10
   */
  parallelism?: number;
  /**
   * Cancels the walk (Ctrl-C): once aborted no node starts; nodes already running are awaited and
   * keep whatever outcome they reach. The same signal is passed to `run`.
   */
  signal?: AbortSignal;
  /**
   * Abandons the nodes still running (a second Ctrl-C): each ends at once as `failed` with the
   * signal's `reason` as its error, and nothing more starts. Their `run` promises are left to
   * settle on their own; what they do afterwards is neither awaited nor reported.
   */
  abandon?: AbortSignal;
  /**
   * Called synchronously for every event. It must not throw; if it does, the walk still finishes
   * every node it started and then rejects with that error.
   */
  onEvent?: (event: WalkEvent) => void;
}

export interface WalkSummary {
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  notStarted: number;
}

export interface WalkResult {
  /** One outcome per node, in the graph's node order. */
  outcomes: Map<string, NodeOutcome>;
  summary: WalkSummary;
  /** True when the signal was aborted before the walk ended. */
  cancelled: boolean;
  durationMs: number;
}

/** Internal states; `pending` and `running` never appear in a result. */
type State = "pending" | "running" | NodeStatus;

/**
 * Runs `run(node)` for every node so that a node starts only after all its dependencies succeeded,
 * with at most `parallelism` running at once. A failure skips everything that transitively
 * depends on it while independent branches carry on. Scheduling is incremental — a counter of
 * unfinished dependencies per node, decremented as each finishes — so a walk costs O(V + E).
 *
 * Resolves once nothing is running and nothing more can start; never rejects because `run` threw
 * (that is a `failed` outcome), only for a bug in the walk itself or in `onEvent`.
 */
export async function walk<N extends DagNode>(
  g: Dag<N>,
  run: (node: N, signal: AbortSignal) => Promise<void>,
  options: WalkOptions = {},
): Promise<WalkResult> {
  const parallelism = options.parallelism ?? 10;
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw new RangeError(`parallelism must be a positive integer, got ${parallelism}`);
  }
  const signal = options.signal ?? new AbortController().signal;
  const abandon = options.abandon;
  const t0 = performance.now();
  const now = () => performance.now() - t0;

  const ids = g.nodes();
  const index = new Map<string, number>();
  for (const [i, id] of ids.entries()) index.set(id, i);
  const dependents = ids.map((id) => (g.successors(id) ?? []).map((w) => index.get(w) as number));
  const unfinishedDeps = Int32Array.from(ids, (id) => g.predecessors(id)?.length ?? 0);
  const state: State[] = ids.map(() => "pending");
  const outcomes: NodeOutcome[] = ids.map(() => ({ status: "not-started" }));

  let fault: unknown;
  const emit = (event: WalkEvent) => {
    if (!options.onEvent) return;
    try {
      options.onEvent(event);
    } catch (e) {
      fault ??= e;
    }
  };

  const queue = new PQueue({ concurrency: parallelism });
  let outstanding = 0;
  let allSettled!: () => void;
  const finished = new Promise<void>((resolve) => {
    allSettled = resolve;
  });
  const settle = () => {
    outstanding--;
    if (outstanding === 0) allSettled();
  };

  const skipDependentsOf = (failed: number) => {
    const because = ids[failed] as string;
    const stack = [...(dependents[failed] as number[])];
    while (stack.length > 0) {
      const w = stack.pop() as number;
      // Already skipped means its own dependents were skipped at the same time.
      if (state[w] !== "pending") continue;
      state[w] = "skipped";
      outcomes[w] = { status: "skipped", skippedBecause: because };
      emit({ type: "skip", id: ids[w] as string, elapsedMs: now(), because });
      stack.push(...(dependents[w] as number[]));
    }
  };

  const runOne = async (i: number): Promise<void> => {
    // Tasks queued before a cancel still reach here; they end without starting. (p-queue's own
    // abort support would settle a *running* task's promise early, freeing its slot too soon.)
    if (signal.aborted || abandon?.aborted) return;
    const id = ids[i] as string;
    state[i] = "running";
    const startMs = now();
    emit({ type: "start", id, elapsedMs: startMs });
    let error: unknown;
    let ok = true;
    try {
      await abandonable(run(g.node(id), signal), abandon);
    } catch (e) {
      ok = false;
      error = e;
    }
    const endMs = now();
    if (ok) {
      state[i] = "succeeded";
      outcomes[i] = { status: "succeeded", startMs, endMs };
      emit({ type: "succeed", id, elapsedMs: endMs, durationMs: endMs - startMs });
      for (const w of dependents[i] as number[]) {
        unfinishedDeps[w] = (unfinishedDeps[w] as number) - 1;
        if (unfinishedDeps[w] === 0 && state[w] === "pending") enqueue(w);
      }
    } else {
      state[i] = "failed";
      outcomes[i] = { status: "failed", error, startMs, endMs };
      emit({ type: "fail", id, elapsedMs: endMs, durationMs: endMs - startMs, error });
      skipDependentsOf(i);
    }
  };

  const enqueue = (i: number) => {
    if (signal.aborted || abandon?.aborted) return;
    outstanding++;
    // runOne catches everything `run` throws, so a rejection here is a bug; keep it, don't lose it.
    queue
      .add(() => runOne(i))
      .then(settle, (e: unknown) => {
        fault ??= e;
        settle();
      });
  };

  outstanding++; // held while seeding, so an instantly finishing node cannot end the walk early
  ids.forEach((_, i) => {
    if (unfinishedDeps[i] === 0) enqueue(i);
  });
  settle();
  await finished;

  if (fault !== undefined) throw fault;
  const summary: WalkSummary = { total: ids.length, succeeded: 0, failed: 0, skipped: 0, notStarted: 0 };
  const byId = new Map<string, NodeOutcome>();
  outcomes.forEach((o, i) => {
    byId.set(ids[i] as string, o);
    if (o.status === "not-started") summary.notStarted++;
    else summary[o.status]++;
  });
  return { outcomes: byId, summary, cancelled: signal.aborted || abandon?.aborted === true, durationMs: now() };
}

/** `p`, or a rejection with `abandon.reason` as soon as `abandon` aborts (`p`'s own end is then ignored). */
function abandonable(p: Promise<void>, abandon: AbortSignal | undefined): Promise<void> {
  if (abandon === undefined) return p;
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(abandon.reason);
    if (abandon.aborted) onAbort();
    else abandon.addEventListener("abort", onAbort, { once: true });
    p.then(
      () => {
        abandon.removeEventListener("abort", onAbort);
        resolve();
      },
      (e: unknown) => {
        abandon.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
