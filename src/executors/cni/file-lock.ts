import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { errnoOf } from "../../fs/fs-errors.js";
import { isProcessAlive } from "../../fs/process-liveness.js";
import { KukeError } from "../../model/errors.js";

export interface FileLockOptions {
  /** Give up after this long with `KukeError("lock-held")`. @default 10000 */
  timeoutMs?: number;
}

/**
 * Runs `fn` while holding an exclusive lock file shared by every kuke process on the host. The
 * file is created with O_EXCL and holds the owner's pid; a lock whose owner no longer runs is
 * stale (the process crashed) and is taken over. Lock files are not reentrant.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    if (await tryAcquire(path)) break;
    if (await isStale(path)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      const owner = (await readFile(path, "utf8").catch(() => "")).trim();
      throw new KukeError("lock-held", `another kuke process holds ${path}`, {
        detail: owner ? `held by pid ${owner}` : undefined,
        remedy: "wait for it to finish, or remove the lock file if that process is gone",
      });
    }
    await new Promise((r) => setTimeout(r, wait));
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

async function tryAcquire(path: string): Promise<boolean> {
  try {
    const fh = await open(path, "wx", 0o600);
    try {
      await fh.writeFile(`${process.pid}\n`);
    } finally {
      await fh.close();
    }
    return true;
  } catch (e) {
    if (errnoOf(e) === "EEXIST") return false;
    throw e;
  }
}

/** A lock file whose pid is not a running process. A file still being written (empty) is not stale. */
async function isStale(path: string): Promise<boolean> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return false;
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return false;
  return !isProcessAlive(pid);
}
