/**
 * A container's two log files: the current one, which containerd's shim appends to for the task's
 * life (the task's stdio is a `file://` URI), and the previous one beside it (`<log>.1`; both paths
 * come from `src/state/run-path.ts`, through the caller). Only these two ever exist per container,
 * so a container's logs take at most about twice its cap.
 */
import { copyFile, readdir, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { errnoOf } from "../fs/fs-errors.js";

/** The cap of a container's current log when neither it nor its space's defaults set `logMaxBytes`. */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Rotates a log that is larger than `maxBytes`: its content is copied to `previousPath` and the
 * file is truncated in place. A rename would not do: the running task's shim holds the file open
 * and would go on writing to the renamed one. The shim appends (O_APPEND), so after the truncate
 * its writes land at the new end. Bytes written between the copy and the truncate are lost (the
 * same window as logrotate's copytruncate). Returns whether it rotated.
 */
export async function capLog(logPath: string, previousPath: string, maxBytes: number): Promise<boolean> {
  let size: number;
  try {
    size = (await stat(logPath)).size;
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return false;
    throw e;
  }
  if (size <= maxBytes) return false;
  await copyFile(logPath, previousPath);
  await truncate(logPath, 0);
  return true;
}

/** The current logs in a cell's log folder, by container name, sorted; none when the folder is missing. */
export async function logFilesIn(dir: string): Promise<{ container: string; path: string }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return [];
    throw e;
  }
  return names
    .filter((n) => n.endsWith(".log"))
    .sort()
    .map((n) => ({ container: n.slice(0, -".log".length), path: join(dir, n) }));
}
