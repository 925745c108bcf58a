/**
 * `kuke start|stop|kill cell|container` and the Runner's `recreateCell`: task operations are
 * planned by `planTaskOps` (no spec change, the run state is recorded); a cell whose root is down
 * cannot just be started, because its network namespace died with the root, so it is replaced.
 */
import { type ActualState, type Address, type CellAddress, formatAddress, KukeError } from "../../model/index.js";
import { cellNeedsRebuild, desiredFromRecords, plan, planTaskOps, type TaskOp } from "../../planner/index.js";
import { type ChangeResult, EMPTY_DESIRED, nowIso, type PipelineOptions, runChange, type Work } from "../pipeline.js";

/**
 * Starts, stops or kills the tasks of a cell (workloads first, then its root) or of one workload
 * container. Stop and kill record the run state `stopped`, so `kuke apply` leaves the tasks down
 * until `kuke start`. Start of a cell whose root is down recreates the cell.
 * @throws KukeError `not-found`, `failed-precondition` (a root container alone; a workload whose cell's root is down).
 */
export function taskOperation(
  o: PipelineOptions,
  op: TaskOp,
  target: Address,
  opts: { signal?: number } = {},
): Promise<ChangeResult> {
  return runChange(o, `kuke ${op} ${target.kind}`, async (s) => {
    const actual = await s.refresh();
    const key = formatAddress(target);
    if (
      op === "start" &&
      target.kind === "cell" &&
      actual.records[key] !== undefined &&
      cellNeedsRebuild(actual, key)
    ) {
      return cellReplacement(o, actual, target);
    }
    const p = planTaskOps(actual, {
      op,
      target,
      now: nowIso(o),
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    });
    return { plan: p, desired: EMPTY_DESIRED, actual };
  });
}

/**
 * Replaces the cell: every container is torn down and made again from its recorded spec (new
 * network namespace and IP), and the tasks run afterwards whatever `kuke stop` recorded.
 */
export function recreateCell(o: PipelineOptions, cell: CellAddress): Promise<ChangeResult> {
  return runChange(o, "kuke recreate cell", async (s) => cellReplacement(o, await s.refresh(), cell));
}

function cellReplacement(o: PipelineOptions, actual: ActualState, cell: Address): Work {
  const key = formatAddress(cell);
  const record = actual.records[key];
  if (record === undefined) {
    throw new KukeError("not-found", `${key} does not exist`, { address: cell });
  }
  const desired = desiredFromRecords(actual);
  const p = plan(desired, actual, {
    project: record.project,
    prune: false,
    targets: [cell],
    replace: [cell],
    destroy: false,
    refresh: true,
    now: nowIso(o),
  });
  return { plan: p, desired, actual };
}
