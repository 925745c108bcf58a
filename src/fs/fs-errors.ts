import { KukeError } from "../model/errors.js";

/** The errno name of a Node system error (`ENOENT`, …), or undefined for anything else. */
export function errnoOf(e: unknown): string | undefined {
  if (e instanceof Error && "code" in e && typeof (e as NodeJS.ErrnoException).code === "string") {
    return (e as NodeJS.ErrnoException).code;
  }
  return undefined;
}

/**
 * Turns a file-system failure into a KukeError once, here at the edge of `src/state`: `doing`
 * says what kuke was trying to do ("write record"), `path` which file. Errors that are already
 * KukeErrors pass through.
 */
export function fsError(e: unknown, doing: string, path: string): KukeError {
  if (e instanceof KukeError) return e;
  const code = errnoOf(e);
  const summary = `cannot ${doing} ${path}${code ? ` (${code})` : ""}`;
  switch (code) {
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new KukeError("permission", summary, {
        cause: e,
        remedy: "run kuke as root, or point --run-path at a directory you can write",
      });
    case "ENOENT":
    case "ENOTDIR":
      return new KukeError("not-found", summary, { cause: e });
    case "EBUSY":
      return new KukeError("busy", summary, { cause: e });
    case "ENOSPC":
    case "EDQUOT":
      return new KukeError("unavailable", summary, {
        cause: e,
        remedy: "free disk space on the run path's file system",
      });
    default:
      return new KukeError("runtime", summary, { cause: e });
  }
}
