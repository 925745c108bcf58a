/**
 * Files a container has on the host besides containerd's objects: its task log under the log dir.
 * (Secret files live in `secrets.ts`.) A container that is deleted takes its log with it, so a
 * container created again under the same address starts with an empty log.
 */
import { rm, rmdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { ContainerAddress } from "../model/index.js";
import { containerLogPath } from "../state/run-path.js";

/** Removes the container's log file (absent is fine) and the folders that become empty, up to `logDir`. */
export async function removeContainerLog(logDir: string, a: ContainerAddress): Promise<void> {
  const file = containerLogPath(logDir, a);
  await rm(file, { force: true });
  await removeEmptyParents(file, logDir);
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
