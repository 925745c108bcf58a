/**
 * The stdio URI of every task kuke starts (and of the tasks containerd's restart monitor re-creates,
 * through the `containerd.io/restart.loguri` label): containerd's `binary://` logging, run by the
 * shim with kuke's logger (`libexec/kuke-log`, a Perl script), which writes each line to the log
 * file with its time and stream (the record format `src/logs/log-records.ts` reads). A `file://`
 * URI would have the shim write raw bytes, with no time to show or filter by.
 */
import { fileURLToPath } from "node:url";

/** kuke's logger, from this module's place in the package (`dist/src/executors/containerd/`). */
export const LOGGER_PATH = fileURLToPath(new URL("../../../../libexec/kuke-log", import.meta.url));

/**
 * The URI for a task whose output goes to `logPath` (absolute). containerd passes the query to the
 * logger as `key value` arguments in no fixed order, so the logger reads them as pairs.
 */
export function taskLogUri(logPath: string, logger: string = LOGGER_PATH): string {
  return `binary://${encodeURI(logger)}?log=${encodeURIComponent(logPath)}`;
}
