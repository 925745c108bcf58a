import { randomBytes } from "node:crypto";
import { appendFileSync, closeSync, constants, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import { readdir, readFile, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { ensureDir, FILE_MODE, syncDir } from "../fs/atomic-file.js";
import { errnoOf, fsError } from "../fs/fs-errors.js";
import { isProcessAlive } from "../fs/process-liveness.js";
import type { RunPathLayout } from "./run-path.js";

/** Applies whose journal this process has open: their pid is alive, yet they are not interrupted. */
const openHere = new Set<string>();

/** How a step ended, as the walk reports it. */
export type JournalStepStatus = "succeeded" | "failed" | "skipped" | "not-started";

/** What the engine records per step; `t` is added by the journal. */
export type JournalStepEvent =
  | { event: "start"; step: string; address: string }
  | { event: "end"; step: string; address: string; status: JournalStepStatus; error?: string };

/**
 * One line of `journal/<apply-id>.jsonl`. `t` is epoch milliseconds. The first line is `begin`;
 * an apply that ended has a last line `finish` (or `superseded`, written by a later apply for one
 * that was interrupted).
 *
 * `begin` is written before the apply changes anything, and says what it is about to do
 * (`addresses`: every address its steps work on) and what earlier interrupted applies had touched
 * (`inherited`), which it repairs and marks superseded only after its own `begin` is on disk: a
 * kill at any moment leaves a journal that names the half-done work.
 */
export type JournalLine =
  | {
      t: number;
      event: "begin";
      applyId: string;
      pid: number;
      host: string;
      meta: Record<string, unknown>;
      addresses?: string[];
      inherited?: string[];
    }
  | ({ t: number } & JournalStepEvent)
  | { t: number; event: "finish"; summary: Record<string, unknown> }
  | { t: number; event: "superseded"; by: string };

/** A journal read back. */
export interface JournalReading {
  applyId: string;
  file: string;
  meta: Record<string, unknown>;
  pid: number;
  host: string;
  startedAt: number;
  /** Every address the apply's steps were to work on (empty in journals written before it was kept). */
  addresses: string[];
  /**
   * What the interrupted applies this one superseded had touched (their `touchedBy`): their
   * half-done work, which this apply was repairing.
   */
  inherited: string[];
  /** True when the apply wrote `finish` or a later apply marked it superseded. */
  ended: boolean;
  summary?: Record<string, unknown>;
  /** Step events in the order written. */
  steps: Array<{ t: number } & JournalStepEvent>;
}

export interface JournalStoreOptions {
  /**
   * Finished journals kept after each apply; older ones are deleted.
   * @default 20
   */
  keepFinished?: number;
}

/**
 * The apply journals of a run path. An apply writes one journal while it runs, so that if it is
 * interrupted (killed, power loss) the next plan can say which steps had run.
 *
 * Durability choice: step lines are appended with one `write` each on an `O_APPEND` descriptor and
 * are not fsynced. A killed process loses nothing (the kernel already has every written line);
 * only a power loss can drop the tail, and then the containers of the interrupted apply are gone
 * too and refresh — the source of truth — sees that. An fsync per line would cost milliseconds per
 * step on the apply's hot path. `begin` and `finish` are fsynced, so whether an apply ended is
 * always durable. A torn last line is ignored when reading.
 */
export class JournalStore {
  private readonly keepFinished: number;

  constructor(
    private readonly layout: RunPathLayout,
    options: JournalStoreOptions = {},
  ) {
    this.keepFinished = options.keepFinished ?? 20;
  }

  /**
   * Starts the journal of a new apply (caller holds the run-path lock), before the apply changes
   * anything; `addresses` are the addresses its steps work on. Earlier journals that never ended
   * and whose process is gone are marked superseded by this one once its `begin` line (which
   * inherits what they touched) is durable, so after this apply `lastUnfinished` no longer reports
   * them — read it before calling `begin`.
   */
  async begin(meta: Record<string, unknown> = {}, addresses: readonly string[] = []): Promise<ApplyJournal> {
    await ensureDir(this.layout.journal);
    const applyId = newApplyId();
    const interrupted = (await this.readAll()).filter((old) => !old.ended && !this.isRunning(old));
    const inherited = new Set<string>();
    for (const old of interrupted) for (const a of touchedBy(old)) inherited.add(a);
    const file = this.fileOf(applyId);
    let fd: number;
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
    } catch (e) {
      throw fsError(e, "create journal", file);
    }
    const journal = new ApplyJournal(applyId, file, fd, () => this.prune());
    openHere.add(applyId);
    journal.writeLine(
      {
        t: Date.now(),
        event: "begin",
        applyId,
        pid: process.pid,
        host: hostname(),
        meta,
        ...(addresses.length > 0 ? { addresses: [...new Set(addresses)].sort() } : {}),
        ...(inherited.size > 0 ? { inherited: [...inherited].sort() } : {}),
      },
      true,
    );
    await syncDir(this.layout.journal);
    for (const old of interrupted) appendLine(old.file, { t: Date.now(), event: "superseded", by: applyId });
    return journal;
  }

  /**
   * The most recent apply that started but never ended and whose process is no longer running
   * (an interrupted apply), or undefined.
   */
  async lastUnfinished(): Promise<JournalReading | undefined> {
    // Newest first. Every plan asks this, and up to `keepFinished` ended journals are kept, each a
    // line per step event (hundreds of kilobytes for an apply of many cells): one whose last line
    // ends it is passed over on that line alone.
    for (const id of (await this.ids()).reverse()) {
      if (endsWithEnd(this.fileOf(id))) continue;
      const j = await this.read(id);
      if (j !== undefined && !j.ended && !this.isRunning(j)) return j;
    }
    return undefined;
  }

  /** Every readable journal, oldest first. Files without a readable `begin` line are skipped. */
  async readAll(): Promise<JournalReading[]> {
    const readings = await Promise.all((await this.ids()).map((id) => this.read(id)));
    return readings.filter((r): r is JournalReading => r !== undefined);
  }

  /** The apply ids of the journal files, oldest first. */
  private async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.layout.journal);
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return [];
      throw fsError(e, "list journals in", this.layout.journal);
    }
    return names
      .filter((n) => n.endsWith(".jsonl"))
      .map((n) => n.slice(0, -".jsonl".length))
      .sort();
  }

  /** One journal by apply id, or undefined when absent or unreadable. */
  async read(applyId: string): Promise<JournalReading | undefined> {
    const file = this.fileOf(applyId);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return undefined;
      throw fsError(e, "read journal", file);
    }
    return parseJournal(applyId, file, text);
  }

  private fileOf(applyId: string): string {
    if (!/^[0-9A-Za-z-]+$/.test(applyId)) throw new TypeError(`invalid apply id '${applyId}'`);
    return join(this.layout.journal, `${applyId}.jsonl`);
  }

  private isRunning(j: JournalReading): boolean {
    // A process on another host (shared run path) cannot be checked from here; assume it runs.
    if (j.host !== hostname()) return true;
    return j.pid === process.pid ? openHere.has(j.applyId) : isProcessAlive(j.pid);
  }

  /** Deletes the oldest ended journals beyond `keepFinished`; unfinished ones are kept. */
  private async prune(): Promise<void> {
    const ended = (await this.readAll()).filter((j) => j.ended);
    for (const j of ended.slice(0, Math.max(0, ended.length - this.keepFinished))) {
      await unlink(j.file).catch((e: unknown) => {
        if (errnoOf(e) !== "ENOENT") throw fsError(e, "delete old journal", j.file);
      });
    }
  }
}

/** The journal of one running apply. */
export class ApplyJournal {
  private closed = false;

  constructor(
    readonly applyId: string,
    readonly file: string,
    private readonly fd: number,
    private readonly afterFinish: () => Promise<void>,
  ) {}

  /**
   * Appends one step event. Synchronous — a single small `write` — so lines keep the order of
   * events and no promise can be left unhandled. Throws after `finish`.
   */
  record(event: JournalStepEvent): void {
    this.writeLine({ t: Date.now(), ...event }, false);
  }

  /** Writes the final line, fsyncs and closes the file, then prunes old journals. */
  async finish(summary: Record<string, unknown>): Promise<void> {
    this.writeLine({ t: Date.now(), event: "finish", summary }, true);
    this.closed = true;
    openHere.delete(this.applyId);
    closeSync(this.fd);
    await this.afterFinish();
  }

  /** @internal used by JournalStore.begin */
  writeLine(line: JournalLine, sync: boolean): void {
    if (this.closed) throw new Error(`journal ${this.applyId} is already finished`);
    try {
      writeSync(this.fd, `${JSON.stringify(line)}\n`);
      if (sync) fsyncSync(this.fd);
    } catch (e) {
      throw fsError(e, "append to journal", this.file);
    }
  }
}

/**
 * What an interrupted apply may have left half done: the addresses of the steps it started, and
 * what the interrupted applies it superseded had touched.
 */
export function touchedBy(j: JournalReading): Set<string> {
  return new Set([...j.inherited, ...j.steps.map((s) => s.address)]);
}

function newApplyId(): string {
  // Sorts by time as text: 20261129T200011123Z-1a2b3c
  return `${new Date().toISOString().replace(/[-:.]/g, "")}-${randomBytes(3).toString("hex")}`;
}

/** Appends to a journal another process left; the leading newline ends a torn last line first. */
function appendLine(file: string, line: JournalLine): void {
  try {
    appendFileSync(file, `\n${JSON.stringify(line)}\n`, { mode: FILE_MODE, flush: true });
  } catch (e) {
    throw fsError(e, "append to journal", file);
  }
}

/** How much of a journal's end `endsWithEnd` reads: far more than a `finish` or `superseded` line. */
const TAIL_BYTES = 4096;

/**
 * True when the journal's last complete line is `finish` or `superseded` (so `parseJournal` would
 * call it ended), read from its last bytes only. False when that cannot be told so: a torn or
 * very long last line, an unreadable file; the caller then reads the whole journal.
 */
function endsWithEnd(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return false;
  }
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(size, TAIL_BYTES);
    const tail = Buffer.alloc(n);
    readSync(fd, tail, 0, n, size - n);
    const last = tail
      .toString("utf8")
      .split("\n")
      .filter((l) => l !== "")
      .at(-1);
    if (last === undefined) return false;
    const event = (JSON.parse(last) as { event?: unknown } | null)?.event;
    return event === "finish" || event === "superseded";
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

function parseJournal(applyId: string, file: string, text: string): JournalReading | undefined {
  const lines: JournalLine[] = [];
  for (const raw of text.split("\n")) {
    if (raw === "") continue;
    try {
      lines.push(JSON.parse(raw) as JournalLine);
    } catch {
      // A torn line can only be the last one written before a crash; the rest is still useful.
    }
  }
  const begin = lines[0];
  if (begin?.event !== "begin") return undefined;
  const reading: JournalReading = {
    applyId,
    file,
    meta: begin.meta ?? {},
    pid: begin.pid,
    host: begin.host,
    startedAt: begin.t,
    addresses: Array.isArray(begin.addresses) ? begin.addresses : [],
    inherited: Array.isArray(begin.inherited) ? begin.inherited : [],
    ended: false,
    steps: [],
  };
  for (const line of lines.slice(1)) {
    if (line.event === "start" || line.event === "end") reading.steps.push(line);
    else if (line.event === "finish") {
      reading.ended = true;
      reading.summary = line.summary;
    } else if (line.event === "superseded") reading.ended = true;
  }
  return reading;
}
