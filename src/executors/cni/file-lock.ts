import { LockFile } from "../../fs/lock-file.js";

export interface FileLockOptions {
  /** Give up after this long with `KukeError("lock-held")`. @default 10000 */
  timeoutMs?: number;
}

/**
 * Runs `fn` while holding the subnet pool's lock file `path`, shared by every kuke process on the
 * host (`LockFile`: a holder that died, even while writing the file, is taken over). Lock files
 * are not reentrant.
 */
export function withFileLock<T>(path: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  return new LockFile(path, "the subnet pool's lock").withLock(fn, { timeoutMs: options.timeoutMs ?? 10_000 });
}
