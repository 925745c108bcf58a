import { readFileSync } from "node:fs";
import { errnoOf } from "./fs-errors.js";

/**
 * Whether a process with this pid exists on this host. EPERM means it exists but belongs to
 * someone else. A recycled pid reads as alive; callers that must tell a recycled pid apart pass a
 * start time to `isSameProcessAlive`.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === "EPERM";
  }
}

/**
 * When the process started, as field 22 of `/proc/<pid>/stat` (clock ticks since boot): with the
 * pid, an identity that a recycled pid does not share. Undefined when the process is gone or
 * /proc is not readable. The command name (field 2) is in parentheses and may itself contain
 * spaces and parentheses, so the fields are counted from the last `)`.
 */
export function processStartTime(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state), so field 22 is rest[19].
  const start = rest[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

/**
 * Whether the process `pid` that started at `startTime` (from `processStartTime`) still runs. A
 * pid now used by a later process is not alive. Without a start time (written by an older kuke)
 * only the pid is checked.
 */
export function isSameProcessAlive(pid: number, startTime: string | undefined): boolean {
  if (!isProcessAlive(pid)) return false;
  if (startTime === undefined) return true;
  const now = processStartTime(pid);
  // Unreadable /proc entry of a live pid: err towards alive (waiting is safe, stealing is not).
  return now === undefined || now === startTime;
}
