import { errnoOf } from "../../fs/fs-errors.js";
import { KukeError } from "../../model/errors.js";

/* The errno codes the cgroup filesystem answers with, classified once here (read through `src/fs`). */

export function isMissing(e: unknown): boolean {
  return errnoOf(e) === "ENOENT";
}

/** Turns a filesystem error on a cgroup into a KukeError; `what` says which operation and path. */
export function cgroupError(e: unknown, what: string): KukeError {
  switch (errnoOf(e)) {
    case "ENOENT":
      return new KukeError("not-found", `cgroup ${what}: no such cgroup`, { cause: e });
    case "EBUSY":
    case "ENOTEMPTY":
      return new KukeError("busy", `cgroup ${what}: still in use`, {
        cause: e,
        remedy: "stop the tasks inside it first",
      });
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new KukeError("permission", `cgroup ${what}: permission denied`, {
        cause: e,
        remedy: "run kuke as root with a writable cgroup filesystem",
      });
    default:
      return new KukeError("runtime", `cgroup ${what} failed`, { cause: e, detail: String(e) });
  }
}
