/**
 * The stdio URI of every task kuke starts (and of the tasks containerd's restart monitor re-creates,
 * through the `containerd.io/restart.loguri` label): containerd's `binary://` logging, run by the
 * shim with kuke's logger (`libexec/kuke-log`, a Perl script), which writes each line to the log
 * file with its time and stream (the record format `src/logs/log-records.ts` reads). A `file://`
 * URI would have the shim write raw bytes, with no time to show or filter by.
 */
import { packagePath } from "../../fs/package-root.js";

/** kuke's logger, in its package's `libexec/`. */
export function loggerPath(): string {
  return packagePath("libexec/kuke-log");
}

/**
 * The URI for a task whose output goes to `logPath` (absolute). containerd passes the query to the
 * logger as `key value` arguments in no fixed order, so the logger reads them as pairs.
 */
export function taskLogUri(logPath: string, logger: string = loggerPath()): string {
  return `binary://${encodeURI(logger)}?log=${encodeURIComponent(logPath)}`;
}
