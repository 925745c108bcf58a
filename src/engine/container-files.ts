/**
 * Files a container has on the host besides containerd's objects: its task log under the log dir.
 * (Secret files live in `secrets.ts`.) A container that is deleted takes its logs with it, so a
 * container created again under the same address starts with an empty log; a replaced one keeps
 * its log as the previous one (`src/logs/log-files.ts`).
 */
import { rename, rm, rmdir } from "node:fs/promises";
import { dirname } from "node:path";
import { errnoOf } from "../fs/fs-errors.js";
import { removeFile } from "../fs/small-file.js";
import type { Address, ContainerAddress } from "../model/index.js";
import { containerLogPath, logPathOf, previousLogPath } from "../state/run-path.js";

/**
 * Removes the container's log and its previous log (absent is fine) and the folders that become
 * empty, up to `logDir`.
 */
export async function removeContainerLog(logDir: string, a: ContainerAddress): Promise<void> {
  const file = containerLogPath(logDir, a);
  await removeBoth(file);
  await removeEmptyParents(file, logDir);
}

/**
 * Removes the logs of the address: a container's log and previous log, or the folder of every log inside a
 * larger address; then the folders that become empty, up to `logDir`.
 */
export async function removeLogs(logDir: string, a: Address): Promise<void> {
  const path = logPathOf(logDir, a);
  if (a.kind === "container") await removeBoth(path);
  else await rm(path, { recursive: true, force: true });
  await removeEmptyParents(path, logDir);
}

/** Removes the folders above `path` while they are empty, stopping below `stop`. */
export async function removeEmptyParents(path: string, stop: string): Promise<void> {
  for (let d = dirname(path); d.length > stop.length && d.startsWith(stop); d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return; // not empty (another container's files) or already gone: its parents are not empty either
    }
  }
}

/** A container's current and previous log. */
async function removeBoth(file: string): Promise<void> {
  // unlink, not `rm`: rm stats the path twice before it unlinks, three thread-pool trips a file.
  await Promise.all([removeFile(file), removeFile(previousLogPath(file))]);
}

/**
 * Keeps a replaced container's log as its previous one (replacing an older previous one): its task
 * is gone, so nothing writes the file any more and a rename is safe; the new container starts an
 * empty log. No log is fine.
 */
export async function keepLogAsPrevious(logDir: string, a: ContainerAddress): Promise<void> {
  const file = containerLogPath(logDir, a);
  try {
    await rename(file, previousLogPath(file));
  } catch (e) {
    if (errnoOf(e) !== "ENOENT") throw e;
  }
}
