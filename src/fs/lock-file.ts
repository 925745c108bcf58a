import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { KukeError } from "../model/errors.js";
import { ensureDir, FILE_MODE, syncDir } from "./atomic-file.js";
import { errnoOf, fsError } from "./fs-errors.js";
import { isProcessAlive, isSameProcessAlive, processStartTime } from "./process-liveness.js";

/** Who holds the lock: the content of the lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  /** The holder's command line, for the message a waiting kuke prints. */
  command: string;
  /** ISO 8601. */
  acquiredAt: string;
  /** Random; tells this acquisition apart from a later one by a process with a recycled pid. */
  token: string;
  /**
   * When the holder process started (`/proc/<pid>/stat` field 22): a pid running now with another
   * start time is a recycled pid, not the holder. Absent in locks written by older kukes.
   */
  startTime?: string;
}

/** A lock whose holder is gone, as reported when it is taken over. */
export interface StaleLock {
  /** Undefined when the file could not be parsed (its writer died while writing it). */
  holder: LockHolder | undefined;
  /** Why it is stale, e.g. `pid 4242 is no longer running`. */
  reason: string;
  /** The lock file. */
  path: string;
}

export interface AcquireOptions {
  /**
   * How long to wait for another holder before giving up with `lock-held`. 0 fails at once.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * How often to look again while waiting, at most: the first looks come sooner (from 5 ms,
   * doubling), so a lock held for a moment costs a moment.
   * @default 100
   */
  pollMs?: number;
  /**
   * Called once, when kuke starts waiting, so the command can say "waiting for …". `holder` is
   * undefined when the lock file is still being written.
   */
  onWait?: (holder: LockHolder | undefined) => void;
  /** Called when a lock left by a dead process is taken over, so the command can say whose it was. */
  onTakeover?: (stale: StaleLock) => void;
  /** Aborting stops waiting: `acquire` rejects with `cancelled` (exit 8). */
  signal?: AbortSignal;
  /**
   * Shown to other kukes waiting for this lock.
   * @default the current process's command line
   */
  command?: string;
}

/** A held lock. Release it in a `finally`. */
export interface LockHandle {
  readonly holder: LockHolder;
  /** The dead holder whose lock was taken over, if any. */
  readonly tookOverFrom: LockHolder | undefined;
  /** Removes the lock file if it is still this handle's; safe to call twice. */
  release(): Promise<void>;
}

/** A lock file that cannot be parsed this long after it was created belongs to a writer that died. */
const UNREADABLE_GRACE_MS = 5000;

type Observed = { holder: LockHolder | undefined; ino: number; mtimeMs: number };

/**
 * An exclusive lock file shared by every kuke process on the host (the run path's lock, the subnet
 * pool's locks): created with `open(…, 'wx')` so exactly one process can create it, holding the
 * holder's pid, host, command and time. Works across processes; within one process, two
 * acquisitions wait for each other too. A holder that died (SIGKILL included, even while it was
 * writing the file) never wedges the lock: its file is taken over.
 */
export class LockFile {
  private readonly dir: string;

  /** @param what names the lock in messages, e.g. `the run-path lock`. */
  constructor(
    readonly path: string,
    private readonly what = "the lock",
  ) {
    this.dir = dirname(path);
  }

  /** The current holder, or undefined when the lock is free (or its file unreadable). */
  async holder(): Promise<LockHolder | undefined> {
    return (await this.observe())?.holder;
  }

  /**
   * Takes the lock, waiting (polling) while a live process holds it and taking it over when its
   * holder is dead (same host, and its pid gone or running a process with another start time).
   * @throws KukeError `lock-held` (exit 6) naming the holder once `timeoutMs` has passed.
   * @throws KukeError `cancelled` (exit 8) when `signal` aborts while waiting.
   */
  async acquire(options: AcquireOptions = {}): Promise<LockHandle> {
    const timeoutMs = options.timeoutMs ?? 30000;
    const pollMs = options.pollMs ?? 100;
    const deadline = Date.now() + timeoutMs;
    const me: LockHolder = {
      pid: process.pid,
      host: hostname(),
      command: options.command ?? process.argv.join(" "),
      acquiredAt: "",
      token: randomBytes(8).toString("hex"),
    };
    const startTime = processStartTime(process.pid);
    if (startTime !== undefined) me.startTime = startTime;
    await ensureDir(this.dir);
    let waited = false;
    let backoff = Math.min(5, pollMs);
    // The stale lock this process removed; reported only if this process then creates the lock.
    let removed: StaleLock | undefined;
    for (;;) {
      if (options.signal?.aborted) throw cancelledWhileWaiting(this.what, this.path);
      me.acquiredAt = new Date().toISOString();
      if (await this.tryCreate(me)) {
        if (removed !== undefined) options.onTakeover?.(removed);
        return { holder: me, tookOverFrom: removed?.holder, release: () => this.releaseIf(me.token) };
      }
      removed = undefined;
      const seen = await this.observe();
      if (seen === undefined) continue; // released between our attempt and our look: try again
      const reason = staleness(seen);
      if (reason !== undefined) {
        if (await this.takeOver(seen, me)) {
          removed = { holder: seen.holder, reason, path: this.path };
          continue;
        }
        // Another kuke is taking it over right now: look again shortly (it wins, this one waits).
      } else {
        if (Date.now() >= deadline) throw lockHeld(this.what, this.path, seen.holder);
        if (!waited) {
          waited = true;
          options.onWait?.(seen.holder);
        }
      }
      await sleep(Math.max(1, Math.min(backoff, Math.max(1, deadline - Date.now()))), options.signal);
      backoff = Math.min(backoff * 2, pollMs);
    }
  }

  /** Runs `fn` holding the lock and releases it afterwards, also when `fn` throws. */
  async withLock<T>(fn: () => Promise<T>, options: AcquireOptions = {}): Promise<T> {
    const handle = await this.acquire(options);
    try {
      return await fn();
    } finally {
      await handle.release();
    }
  }

  /** One attempt at `open(lock, 'wx')`; false when another file is there. */
  private async tryCreate(me: LockHolder): Promise<boolean> {
    if (!(await createExclusive(this.path, `${JSON.stringify(me)}\n`))) return false;
    await syncDir(this.dir);
    return true;
  }

  private async observe(): Promise<Observed | undefined> {
    const path = this.path;
    try {
      const st = await stat(path);
      const text = await readFile(path, "utf8");
      return { holder: parseHolder(text), ino: st.ino, mtimeMs: st.mtimeMs };
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return undefined;
      throw fsError(e, "read lock", path);
    }
  }

  /**
   * Removes the stale lock `seen` so the caller can create its own, atomically with respect to
   * other kukes doing the same: only the process that created `<lock>.takeover` (O_EXCL) may remove
   * a lock, and it re-reads the lock under that guard, so a lock that a racing kuke has just taken
   * over is never removed. The lock is moved aside (rename) and checked to be the one judged stale;
   * if not, it is linked back. @returns true when the stale lock is gone.
   */
  private async takeOver(seen: Observed, me: LockHolder): Promise<boolean> {
    const guard = `${this.path}.takeover`;
    if (!(await createExclusive(guard, `${JSON.stringify(me)}\n`))) {
      await this.clearStaleGuard(guard);
      return false;
    }
    try {
      const now = await this.observe();
      if (now === undefined || !sameLock(now, seen) || staleness(now) === undefined) return false;
      const aside = `${this.path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
      try {
        await rename(this.path, aside);
      } catch (e) {
        if (errnoOf(e) === "ENOENT") return false;
        throw fsError(e, "take over stale lock", this.path);
      }
      try {
        const moved = await stat(aside);
        if (moved.ino === seen.ino) return true;
        await link(aside, this.path).catch(() => {});
        return false;
      } finally {
        await unlink(aside).catch(() => {});
      }
    } finally {
      await unlink(guard).catch(() => {});
    }
  }

  /**
   * A takeover guard whose creator died (killed in the few milliseconds it holds it) would block
   * every takeover: it is moved aside when its writer is gone, or unreadable past the grace.
   */
  private async clearStaleGuard(guard: string): Promise<void> {
    let st: Awaited<ReturnType<typeof stat>>;
    let text: string;
    try {
      st = await stat(guard);
      text = await readFile(guard, "utf8");
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return;
      throw fsError(e, "read lock takeover guard", guard);
    }
    const holder = parseHolder(text);
    const dead =
      holder === undefined
        ? Date.now() - st.mtimeMs > UNREADABLE_GRACE_MS
        : holder.host === hostname() && !isSameProcessAlive(holder.pid, holder.startTime);
    if (!dead) return;
    const aside = `${guard}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await rename(guard, aside);
    } catch {
      return;
    }
    const moved = await stat(aside).catch(() => undefined);
    if (moved !== undefined && moved.ino !== st.ino) await link(aside, guard).catch(() => {});
    await unlink(aside).catch(() => {});
  }

  private async releaseIf(token: string): Promise<void> {
    const seen = await this.observe();
    if (seen?.holder?.token !== token) return;
    try {
      await unlink(this.path);
    } catch (e) {
      if (errnoOf(e) !== "ENOENT") throw fsError(e, "release lock", this.path);
    }
  }
}

/**
 * Why the lock `seen` is stale, or undefined while its holder may still be working: a holder on
 * this host whose pid is gone, or whose pid now belongs to a process that started at another time
 * (a recycled pid); a file nobody could parse long after it was created.
 */
function staleness(seen: Observed): string | undefined {
  const h = seen.holder;
  if (h === undefined) {
    return Date.now() - seen.mtimeMs > UNREADABLE_GRACE_MS
      ? `its lock file has been unreadable for over ${UNREADABLE_GRACE_MS / 1000} s (its writer died while writing it)`
      : undefined;
  }
  // A pid on another host (a shared run path) cannot be checked from here: keep waiting.
  if (h.host !== hostname()) return undefined;
  if (!isProcessAlive(h.pid)) return `pid ${h.pid} is no longer running`;
  if (!isSameProcessAlive(h.pid, h.startTime)) {
    return `pid ${h.pid} now belongs to another process (started after the lock was taken)`;
  }
  return undefined;
}

/** The same lock file: same inode and, when readable, the same acquisition. */
function sameLock(a: Observed, b: Observed): boolean {
  return a.ino === b.ino && a.holder?.token === b.holder?.token && a.mtimeMs === b.mtimeMs;
}

/** Creates `path` with O_EXCL and writes `text` (fsynced); false when the file exists. */
async function createExclusive(path: string, text: string): Promise<boolean> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
  } catch (e) {
    if (errnoOf(e) === "EEXIST") return false;
    throw fsError(e, "create lock", path);
  }
  try {
    await fh.writeFile(text);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw fsError(e, "write lock", path);
  }
  await fh.close();
  return true;
}

/** Waits `ms`, or less when `signal` aborts (the caller's loop then throws). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

function cancelledWhileWaiting(what: string, path: string): KukeError {
  return new KukeError("cancelled", `cancelled while waiting for ${what} ${path}`, {
    detail: "nothing was changed",
  });
}

function parseHolder(text: string): LockHolder | undefined {
  // Earlier kukes wrote the subnet pool's locks as a bare pid: on this host, by that pid.
  const bare = /^(\d+)\n?$/.exec(text);
  if (bare !== null) {
    const pid = Number(bare[1]);
    return { pid, host: hostname(), command: "", acquiredAt: "", token: `pid-${pid}` };
  }
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === "number" && typeof v.host === "string" && typeof v.token === "string") {
      return {
        pid: v.pid,
        host: v.host,
        command: String(v.command ?? ""),
        acquiredAt: String(v.acquiredAt ?? ""),
        token: v.token,
        ...(typeof v.startTime === "string" ? { startTime: v.startTime } : {}),
      };
    }
  } catch {
    // fall through: empty or half-written while its creator writes it
  }
  return undefined;
}

function lockHeld(what: string, path: string, holder: LockHolder | undefined): KukeError {
  const who = holder
    ? `pid ${holder.pid} on ${holder.host}${holder.acquiredAt ? `, since ${holder.acquiredAt}` : ""}${holder.command ? `: ${holder.command}` : ""}`
    : "a process that is still writing the lock file";
  return new KukeError("lock-held", `another kuke holds ${what} ${path}`, {
    detail: `held by ${who}`,
    remedy: `wait for it to finish and retry; if no kuke is running, remove ${path}`,
  });
}
