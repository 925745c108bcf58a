/**
 * Per-step-kind timings of one apply, read back from its journal (every step has a `start` and an
 * `end` line with epoch milliseconds). Used by `bench/apply.ts` to show where an apply spends its
 * time: how long each kind of step takes, and how long the run waits before the first step.
 */
import { readFile } from "node:fs/promises";
import { JournalStore } from "../src/state/apply-journal.js";
import { runPathLayout } from "../src/state/run-path.js";

export interface KindTiming {
  kind: string;
  count: number;
  /** Mean step duration (start → end line), ms. */
  meanMs: number;
  /** Sum of step durations, ms (exceeds the wall time when steps overlap). */
  sumMs: number;
  /** When the first step of the kind started and the last one ended, ms after `begin`. */
  firstStartMs: number;
  lastEndMs: number;
}

export interface JournalTimings {
  /** `begin` line → `finish` line, ms. */
  engineMs: number;
  /** Mean number of steps running at once (sum of durations / engine time). */
  concurrency: number;
  /** `begin` → the first step's start, and the last step's end → `finish`, ms. */
  headMs: number;
  tailMs: number;
  kinds: KindTiming[];
}

/** Timings of the most recent journal of `runPath` (the apply that just finished). */
export async function latestJournalTimings(runPath: string): Promise<JournalTimings | undefined> {
  const store = new JournalStore(runPathLayout(runPath));
  const all = await store.readAll();
  const reading = all.sort((a, b) => a.applyId.localeCompare(b.applyId)).at(-1);
  if (reading === undefined) return undefined;
  const starts = new Map<string, number>();
  const byKind = new Map<string, { count: number; sum: number; first: number; last: number }>();
  const t0 = reading.startedAt;
  let firstStart = Number.POSITIVE_INFINITY;
  let lastEnd = t0;
  for (const l of reading.steps) {
    if (l.event === "start") {
      starts.set(l.step, l.t);
      firstStart = Math.min(firstStart, l.t);
      continue;
    }
    lastEnd = Math.max(lastEnd, l.t);
    const began = starts.get(l.step);
    if (began === undefined || l.status !== "succeeded") continue;
    const kind = l.step.slice(0, l.step.indexOf(":"));
    const k = byKind.get(kind) ?? { count: 0, sum: 0, first: began, last: l.t };
    k.count++;
    k.sum += l.t - began;
    k.first = Math.min(k.first, began);
    k.last = Math.max(k.last, l.t);
    byKind.set(kind, k);
  }
  const end = (await finishTime(reading.file)) ?? lastEnd;
  const engineMs = end - t0;
  const kinds = [...byKind]
    .map(([kind, k]) => ({
      kind,
      count: k.count,
      meanMs: k.sum / k.count,
      sumMs: k.sum,
      firstStartMs: k.first - t0,
      lastEndMs: k.last - t0,
    }))
    .sort((a, b) => b.sumMs - a.sumMs);
  const total = kinds.reduce((s, k) => s + k.sumMs, 0);
  return {
    engineMs,
    concurrency: engineMs > 0 ? total / engineMs : 0,
    headMs: Number.isFinite(firstStart) ? firstStart - t0 : 0,
    tailMs: end - lastEnd,
    kinds,
  };
}

/** A small table of `t` for a bench's output. */
export function formatTimings(title: string, t: JournalTimings): string {
  const lines = [
    `${title}: engine ${t.engineMs.toFixed(0)} ms, ${t.concurrency.toFixed(1)} steps running on average, ` +
      `first step at +${t.headMs.toFixed(0)} ms, ${t.tailMs.toFixed(0)} ms after the last`,
    `  ${"step kind".padEnd(18)} ${"count".padStart(6)} ${"mean ms".padStart(9)} ${"sum ms".padStart(9)} ${"first +ms".padStart(9)} ${"last +ms".padStart(9)}`,
  ];
  for (const k of t.kinds) {
    lines.push(
      `  ${k.kind.padEnd(18)} ${String(k.count).padStart(6)} ${k.meanMs.toFixed(1).padStart(9)} ${k.sumMs.toFixed(0).padStart(9)} ${k.firstStartMs.toFixed(0).padStart(9)} ${k.lastEndMs.toFixed(0).padStart(9)}`,
    );
  }
  return lines.join("\n");
}

/** The `t` of the journal's `finish` line (the reading keeps only its summary). */
async function finishTime(file: string): Promise<number | undefined> {
  const last = (await readFile(file, "utf8")).trimEnd().split("\n").at(-1);
  const line = last === undefined ? undefined : (JSON.parse(last) as { t?: number; event?: string });
  return line?.event === "finish" ? line.t : undefined;
}
