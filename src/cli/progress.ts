/**
 * How apply and destroy show their steps while they run (`--progress`):
 * - `plain`: a line when a step starts and one when it ends (`apply-output.ts`);
 * - `live` (`auto` on a terminal): the same lines, and below them one status line that updates in
 *   place: steps done / running / left;
 * - `json`: one JSON object per line for each event, for CI (documented in the README).
 */
import { KukeError } from "../model/index.js";
import type { RunEvent } from "../runner/pipeline.js";
import { progressPrinter } from "./apply-output.js";
import type { OutputStream } from "./output-style.js";

export const PROGRESS_MODES = ["auto", "plain", "json"] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** `--progress MODE`. @throws KukeError `usage` for anything else. */
export function parseProgress(text: string): ProgressMode {
  if ((PROGRESS_MODES as readonly string[]).includes(text)) return text as ProgressMode;
  throw new KukeError("usage", `--progress must be one of ${PROGRESS_MODES.join(", ")}, got '${text}'`, {
    remedy: "pass --progress auto (live on a terminal), plain or json",
  });
}

/**
 * `--json` and `--progress` of apply and destroy, resolved: `--json` is the CI stream (JSON events,
 * one per line, then the result as the last line), so it means `--progress json`; `--progress json`
 * stays as its older spelling. `--json` with another explicit `--progress` is a usage error.
 * `structured` (kukeon's `-o json|yaml`) prints one result document and no step lines.
 * @throws KukeError `usage`
 */
export function resolveProgress(flags: { json: boolean; progress: string | undefined; structured: boolean }): {
  json: boolean;
  progress: ProgressMode;
} {
  const asked = flags.progress === undefined ? undefined : parseProgress(flags.progress);
  if (flags.json && asked !== undefined && asked !== "json") {
    throw new KukeError("usage", `--json prints JSON progress events; it cannot go with --progress ${asked}`, {
      remedy: "drop --progress (or use -o json for one result document without step events)",
    });
  }
  if (flags.structured) return { json: true, progress: asked ?? "auto" };
  const progress = flags.json ? "json" : (asked ?? "auto");
  return { json: progress === "json", progress };
}

/** A progress reporter: events in, output out; `total` arrives once the steps are known. */
export interface Progress {
  onEvent(e: RunEvent): void;
  onSteps(total: number): void;
  /** Clears anything drawn in place (before the summary). */
  end(): void;
}

/** The reporter for `mode` on `out`: live only when `out` is a terminal. */
export function progressFor(mode: ProgressMode, out: OutputStream, color: boolean): Progress {
  const tty = (out as { isTTY?: boolean }).isTTY === true;
  if (mode === "json" || mode === "plain" || !tty) {
    const lines = batchedWrites(out);
    const p = mode === "json" ? jsonProgress(lines) : { onEvent: progressPrinter(lines, color), onSteps: () => {} };
    return { ...p, end: lines.flush };
  }
  return liveProgress(out, progressPrinter(out, color));
}

/**
 * What is written in one turn of the event loop goes to `out` in one write, at the end of the turn
 * or at `flush`. A 50-cell apply prints about 800 lines, and a write per line (a system call, and
 * a wake-up of whatever reads the pipe) was ~0.1 s of node's CPU.
 */
function batchedWrites(out: OutputStream): OutputStream & { flush: () => void } {
  let pending = "";
  const flush = () => {
    if (pending === "") return;
    const text = pending;
    pending = "";
    out.write(text);
  };
  return {
    write(text: string) {
      if (pending === "") setImmediate(flush);
      pending += text;
    },
    flush,
  };
}

/** Counts of a run, from its events: what the live line shows. */
export class StepCounts {
  total = 0;
  done = 0;
  running = 0;
  failed = 0;

  apply(e: RunEvent): void {
    if (e.type === "note") return;
    if (e.type === "start") this.running++;
    else if (e.type === "succeed" || e.type === "fail") {
      this.running = Math.max(0, this.running - 1);
      this.done++;
      if (e.type === "fail") this.failed++;
    } else if (e.type === "skip") this.done++;
  }

  get left(): number {
    return Math.max(0, this.total - this.done - this.running);
  }

  line(): string {
    const failed = this.failed > 0 ? `, ${this.failed} failed` : "";
    return `Steps: ${this.done}/${this.total} done, ${this.running} running, ${this.left} left${failed}`;
  }
}

const CLEAR_LINE = "\r\x1b[2K";

/** Plain lines scroll above one status line that is redrawn after each event. */
function liveProgress(out: OutputStream, plain: (e: RunEvent) => void): Progress {
  const counts = new StepCounts();
  let drawn = false;
  const draw = () => {
    out.write(`${drawn ? CLEAR_LINE : ""}${counts.line()}`);
    drawn = true;
  };
  return {
    onSteps(total) {
      counts.total = total;
      draw();
    },
    onEvent(e) {
      counts.apply(e);
      if (drawn) out.write(CLEAR_LINE);
      drawn = false;
      plain(e);
      draw();
    },
    end() {
      if (drawn) out.write(`${CLEAR_LINE}${counts.line()}\n`);
      drawn = false;
    },
  };
}

/**
 * One JSON object per line: `{"format_version":"1","type":"steps","total":N}` once, then per step
 * `start`, `succeed` (`duration_ms`), `fail` (`duration_ms`, `error`), `skip` (`because`) with
 * `step`, `kind`, `address` and `elapsed_ms`, and `note` (`address`, `text`).
 */
function jsonProgress(out: OutputStream): Omit<Progress, "end"> {
  const line = (value: Record<string, unknown>) => out.write(`${JSON.stringify({ format_version: "1", ...value })}\n`);
  return {
    onSteps: (total) => line({ type: "steps", total }),
    onEvent(e) {
      if (e.type === "note") {
        line({ type: "note", address: e.address, text: e.text });
        return;
      }
      const base = { type: e.type, step: e.id, kind: e.kind, address: e.address, elapsed_ms: e.elapsedMs };
      if (e.type === "start") line(base);
      else if (e.type === "succeed") line({ ...base, duration_ms: e.durationMs });
      else if (e.type === "fail") line({ ...base, duration_ms: e.durationMs, error: describe(e.error) });
      else line({ ...base, because: e.because });
    },
  };
}

function describe(e: unknown): { code: string; message: string } {
  if (e instanceof KukeError) return { code: e.code, message: e.message };
  return { code: "bug", message: String(e) };
}
