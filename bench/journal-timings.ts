/**
 * Per-step-kind timings of one apply, read back from its journal (every step has a `start` and an
 * `end` line with epoch milliseconds). Used by `bench/apply.ts` to show where an apply spends its
 * time: how long each kind of step takes, and how long the run waits before the first step.
 */
import { JournalStore } from "../src/state/apply-journal.js";
import { runPathLayout } from "../src/state/run-path.js";

export interface KindTiming {
  kind: string;
  count: number;
  /** Mean step duration (start → end line), ms. */
  meanMs: number;
  /** Sum of step durations, ms (exceeds the wall time when steps overlap). */
  sumMs: number;
}

export interface JournalTimings {
  /** `begin` line → `finish` line, ms. */
  engineMs: number;
  /** Mean number of steps running at once (sum of durations / engine time). */
  concurrency: number;
  kinds: KindTiming[];
}

/** Timings of the most recent journal of `runPath` (the apply that just finished). */
export async function latestJournalTimings(runPath: string): Promise<JournalTimings | undefined> {
  const store = new JournalStore(runPathLayout(runPath));
  const all = await store.readAll();
  const reading = all.sort((a, b) => a.applyId.localeCompare(b.applyId)).at(-1);
  if (reading === undefined) return undefined;
  const starts = new Map<string, number>();
  const byKind = new Map<string, { count: number; sum: number }>();
  let end = reading.startedAt;
  for (const l of reading.steps) {
    end = Math.max(end, l.t);
    if (l.event === "start") {
      starts.set(l.step, l.t);
      continue;
    }
    const began = starts.get(l.step);
    if (began === undefined || l.status !== "succeeded") continue;
    const kind = l.step.slice(0, l.step.indexOf(":"));
    const k = byKind.get(kind) ?? { count: 0, sum: 0 };
    k.count++;
    k.sum += l.t - began;
    byKind.set(kind, k);
  }
  const engineMs = end - reading.startedAt;
  const kinds = [...byKind]
    .map(([kind, k]) => ({ kind, count: k.count, meanMs: k.sum / k.count, sumMs: k.sum }))
    .sort((a, b) => b.sumMs - a.sumMs);
  const total = kinds.reduce((s, k) => s + k.sumMs, 0);
  return { engineMs, concurrency: engineMs > 0 ? total / engineMs : 0, kinds };
}

/** A small table of `t` for a bench's output. */
export function formatTimings(title: string, t: JournalTimings): string {
  const lines = [
    `${title}: engine ${t.engineMs.toFixed(0)} ms, ${t.concurrency.toFixed(1)} steps running on average`,
    `  ${"step kind".padEnd(18)} ${"count".padStart(6)} ${"mean ms".padStart(9)} ${"sum ms".padStart(9)}`,
  ];
  for (const k of t.kinds) {
    lines.push(
      `  ${k.kind.padEnd(18)} ${String(k.count).padStart(6)} ${k.meanMs.toFixed(1).padStart(9)} ${k.sumMs.toFixed(0).padStart(9)}`,
    );
  }
  return lines.join("\n");
}
