/**
 * The size cap of container logs. containerd's shim writes a task's output to a file for the
 * task's whole life and kuke runs no daemon, so kuke enforces the cap when it runs: every locked
 * pass of the pipeline (apply, destroy, every verb, even one with nothing to do) first rotates
 * each log that is over its cap (`capLog`: copy to the previous log, truncate in place). Between
 * two kuke runs a log can outgrow its cap; see src/logs/README.md.
 */
import { capLog, DEFAULT_LOG_MAX_BYTES } from "../logs/log-files.js";
import {
  type ActualState,
  type ContainerAddress,
  containerAddress,
  type DesiredState,
  formatAddress,
  KukeError,
  tryParseAddress,
} from "../model/index.js";
import { containerLogPath, previousLogPath, runPathLayout } from "../state/run-path.js";

/** Each known container's log cap: its desired spec's, else its record's, else the default. */
export function logCaps(
  desired: DesiredState,
  actual: ActualState,
): Map<string, { address: ContainerAddress; max: number }> {
  const caps = new Map<string, { address: ContainerAddress; max: number }>();
  for (const record of Object.values(actual.records)) {
    if (record.kind !== "container") continue;
    const parsed = tryParseAddress(record.address);
    if (!parsed.ok || parsed.address.kind !== "container") continue;
    const max = (record.view.spec as { logMaxBytes?: number }).logMaxBytes;
    caps.set(record.address, { address: parsed.address, max: max ?? DEFAULT_LOG_MAX_BYTES });
  }
  for (const cell of desired.cells) {
    for (const c of cell.spec.containers) {
      const address = containerAddress(cell.realm, cell.space, cell.stack, cell.name, c.id);
      caps.set(formatAddress(address), { address, max: c.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES });
    }
  }
  return caps;
}

/** Rotates the logs over their caps. A log that cannot be rotated is a warning, never a failed run. */
export async function capContainerLogs(
  runPath: string,
  desired: DesiredState,
  actual: ActualState,
  onWarning?: (e: KukeError) => void,
): Promise<void> {
  await Promise.all(
    [...logCaps(desired, actual).values()].map(({ address, max }) =>
      capLog(
        containerLogPath(runPathLayout(runPath).logs, address),
        previousLogPath(containerLogPath(runPathLayout(runPath).logs, address)),
        max,
      ).catch((e: unknown) =>
        onWarning?.(
          new KukeError("runtime", `could not rotate the log of ${formatAddress(address)}`, {
            address,
            detail: String(e),
          }),
        ),
      ),
    ),
  );
}
