import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { ensureDir, FILE_MODE, syncDir } from "../fs/atomic-file.js";
import { errnoOf, fsError } from "../fs/fs-errors.js";
import { isProcessAlive } from "../fs/process-liveness.js";
import { KukeError } from "../model/errors.js";
import type { RunPathLayout } from "./run-path.js";

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
}

export interface AcquireOptions {
  /**
   * How long to wait for another holder before giving up with `lock-held`. 0 fails at once.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * How often to look again while waiting.
   * @default 100
   */
  pollMs?: number;
  /**
   * Called once, when kuke starts waiting, so the command can say "waiting for …". `holder` is
   * undefined when the lock file is still being written.
   */
  onWait?: (holder: LockHolder | undefined) => void;
  /** Called when a lock left by a dead process is taken over, so the command can note it. */
  onTakeover?: (stale: LockHolder | undefined) => void;
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
 * The one lock of a run path: `<run path>/lock`, created with `open(…, 'wx')` so exactly one
 * process can create it, holding the holder's pid, host, command and time. Works across
 * processes; within one process, two acquisitions wait for each other too.
 */
export class RunLock {
  constructor(private readonly layout: RunPathLayout) {}

  /** The current holder, or undefined when the lock is free (or its file unreadable). */
  async holder(): Promise<LockHolder | undefined> {
    return (await this.observe())?.holder;
  }

  /**
   * Takes the lock, waiting (polling) while a live process holds it and taking it over when its
   * holder is dead (same host, pid gone).
   * @throws KukeError `lock-held` (exit 6) naming the holder once `timeoutMs` has passed.
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
    await ensureDir(this.layout.root);
    let waited = false;
    let tookOverFrom: LockHolder | undefined;
    for (;;) {
      me.acquiredAt = new Date().toISOString();
      if (await this.tryCreate(me)) {
        return { holder: me, tookOverFrom, release: () => this.releaseIf(me.token) };
      }
      const seen = await this.observe();
      if (seen === undefined) continue; // released between our attempt and our look: try again
      if (this.isStale(seen)) {
        if (await this.removeStale(seen)) {
          tookOverFrom = seen.holder;
          options.onTakeover?.(seen.holder);
        }
        continue;
      }
      if (Date.now() >= deadline) throw lockHeld(this.layout.lock, seen.holder);
      if (!waited) {
        waited = true;
        options.onWait?.(seen.holder);
      }
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(pollMs, deadline - Date.now()))));
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
    const path = this.layout.lock;
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
    } catch (e) {
      if (errnoOf(e) === "EEXIST") return false;
      throw fsError(e, "create lock", path);
    }
    try {
      await fh.writeFile(`${JSON.stringify(me)}\n`);
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => {});
      await unlink(path).catch(() => {});
      throw fsError(e, "write lock", path);
    }
    await fh.close();
    await syncDir(this.layout.root);
    return true;
  }

  private async observe(): Promise<Observed | undefined> {
    const path = this.layout.lock;
    try {
      const st = await stat(path);
      const text = await readFile(path, "utf8");
      return { holder: parseHolder(text), ino: st.ino, mtimeMs: st.mtimeMs };
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return undefined;
      throw fsError(e, "read lock", path);
    }
  }

  private isStale(seen: Observed): boolean {
    if (seen.holder === undefined) return Date.now() - seen.mtimeMs > UNREADABLE_GRACE_MS;
    // A pid on another host (a shared run path) cannot be checked from here: keep waiting.
    return seen.holder.host === hostname() && !isProcessAlive(seen.holder.pid);
  }

  /**
   * Moves the stale lock aside, then checks that what was moved is the file judged stale (same
   * inode). If another process replaced it in between, the live lock is put back with `link`,
   * which cannot overwrite a newer one. @returns true when the stale lock is gone.
   */
  private async removeStale(seen: Observed): Promise<boolean> {
    const aside = `${this.layout.lock}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await rename(this.layout.lock, aside);
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return false;
      throw fsError(e, "take over stale lock", this.layout.lock);
    }
    try {
      const moved = await stat(aside);
      if (moved.ino === seen.ino) return true;
      await link(aside, this.layout.lock).catch(() => {});
      return false;
    } finally {
      await unlink(aside).catch(() => {});
    }
  }

  private async releaseIf(token: string): Promise<void> {
    const seen = await this.observe();
    if (seen?.holder?.token !== token) return;
    try {
      await unlink(this.layout.lock);
    } catch (e) {
      if (errnoOf(e) !== "ENOENT") throw fsError(e, "release lock", this.layout.lock);
    }
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === "number" && typeof v.host === "string" && typeof v.token === "string") {
      return {
        pid: v.pid,
        host: v.host,
        command: String(v.command ?? ""),
        acquiredAt: String(v.acquiredAt ?? ""),
        token: v.token,
      };
    }
  } catch {
    // fall through: empty or half-written while its creator writes it
  }
  return undefined;
}

function lockHeld(path: string, holder: LockHolder | undefined): KukeError {
  const who = holder
    ? `pid ${holder.pid} on ${holder.host}, since ${holder.acquiredAt}: ${holder.command}`
    : "a process that is still writing the lock file";
  return new KukeError("lock-held", `another kuke holds the lock ${path}`, {
    detail: `held by ${who}`,
    remedy: `wait for it to finish and retry; if no kuke is running, remove ${path}`,
  });
}
