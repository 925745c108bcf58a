import { errnoOf } from "./fs-errors.js";

/**
 * Whether a process with this pid exists on this host. EPERM means it exists but belongs to
 * someone else. A recycled pid reads as alive; callers accept that (it errs towards waiting).
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
