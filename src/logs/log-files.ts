/**
 * A container's two log files: the current one, which containerd's shim appends to for the task's
 * life (the task's stdio is a `file://` URI), and the previous one, `<log>.1`. Only these two
 * ever exist per container, so a container's logs take at most about twice its cap.
 */
import { copyFile, readdir, rename, rm, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { errnoOf } from "../fs/fs-errors.js";
import { type CellAddress, type ContainerAddress, containerAddress } from "../model/index.js";
import { logPathOf, previousLogPath, runPathLayout } from "../state/run-path.js";

/** The cap of a container's current log when neither it nor its space's defaults set `logMaxBytes`. */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Keeps the current log as the previous one (replacing an older previous one). For a container
 * that is being replaced: its task is gone, so nothing writes the file any more and a rename is
 * safe; the new container starts an empty log. No log is fine.
 */
export async function keepAsPrevious(logPath: string): Promise<void> {
  try {
    await rename(logPath, previousLogPath(logPath));
  } catch (e) {
    if (errnoOf(e) !== "ENOENT") throw e;
  }
}

/**
 * Rotates a log that is larger than `maxBytes`: its content is copied to the previous log and the
 * file is truncated in place. A rename would not do: the running task's shim holds the file open
 * and would go on writing to the renamed one. The shim appends (O_APPEND), so after the truncate
 * its writes land at the new end. Bytes written between the copy and the truncate are lost (the
 * same window as logrotate's copytruncate). Returns whether it rotated.
 */
export async function capLog(logPath: string, maxBytes: number): Promise<boolean> {
  let size: number;
  try {
    size = (await stat(logPath)).size;
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return false;
    throw e;
  }
  if (size <= maxBytes) return false;
  await copyFile(logPath, previousLogPath(logPath));
  await truncate(logPath, 0);
  return true;
}

/** Removes a container's current and previous logs (absent is fine). */
export async function removeLogFiles(logPath: string): Promise<void> {
  await rm(logPath, { force: true });
  await rm(previousLogPath(logPath), { force: true });
}

/** The containers of `cell` that have a current log, by name, sorted. */
export async function cellLogFiles(
  runPath: string,
  cell: CellAddress,
): Promise<{ container: ContainerAddress; path: string }[]> {
  const dir = logPathOf(runPathLayout(runPath).logs, cell);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return [];
    throw e;
  }
  return names
    .filter((n) => n.endsWith(".log"))
    .map((n) => n.slice(0, -".log".length))
    .sort()
    .map((name) => {
      const container = containerAddress(cell.realm, cell.space, cell.stack, cell.cell, name);
      return { container, path: join(dir, `${name}.log`) };
    });
}
