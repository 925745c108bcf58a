/**
 * Plans of the imperative verbs that are not spec changes: `kuke start|stop|kill` (task
 * operations plus the run state they record) and `kuke delete` (a deletion scoped to one address).
 * Pure, like `plan()`: the result is a plain `Plan` that `planToSteps` turns into steps.
 */
import { type ActualState, type Address, formatAddress, KukeError, specHash } from "../model/index.js";
import { sortAddressKeys } from "./address-keys.js";
import { preventDestroyErrors } from "./lifecycle-guard.js";
import { finishChange, newDraft } from "./plan-draft.js";
import { createRemedy } from "./remedies.js";
import type { Diagnostic, Plan, ResourceChange, RunStateChange, TaskChange, TaskOp } from "./types.js";

/** SIGKILL: what `kuke kill` sends unless told otherwise. */
export const DEFAULT_KILL_SIGNAL = 9;

export interface TaskOpsRequest {
  op: TaskOp;
  /** A cell or a workload container. */
  target: Address;
  /** `kill` only. @default 9 (SIGKILL) */
  signal?: number;
  /** `plan.created` (ISO string). */
  now: string;
}

function emptyPlan(target: Address, now: string, project = ""): Plan {
  return {
    format_version: "1",
    created: now,
    options: { project, prune: false, targets: [formatAddress(target)], replace: [], destroy: false, refresh: true },
    changes: [],
    drift: [],
    notInConfiguration: [],
    errors: [],
    fingerprints: {},
    summary: { add: 0, change: 0, replace: 0, destroy: 0 },
  };
}

/** Recorded containers of a cell (address strings), the root last. */
export function cellContainers(
  actual: Pick<ActualState, "records">,
  cellKey: string,
): { root?: string; workloads: string[] } {
  const prefix = `container/${cellKey.slice("cell/".length)}/`;
  const keys = Object.keys(actual.records)
    .filter((k) => k.startsWith(prefix))
    .sort();
  const root = keys.find((k) => actual.records[k]!.view.spec.root === true);
  return { ...(root !== undefined ? { root } : {}), workloads: keys.filter((k) => k !== root) };
}

/**
 * True when a cell cannot simply have its tasks started: its root container or root task is gone,
 * and with it the network namespace the workloads join, so the cell must be rebuilt (replaced).
 */
export function cellNeedsRebuild(actual: ActualState, cellKey: string): boolean {
  const { root } = cellContainers(actual, cellKey);
  if (root === undefined) return true;
  return actual.resources[root]?.container?.task.status !== "running";
}

/**
 * `kuke start|stop|kill cell|container`. Stopping or killing a cell does its workloads first,
 * then the root (the workloads live in the root's namespaces). Starting a cell starts its
 * workloads; a cell whose root is down must be replaced instead (`cellNeedsRebuild`), which this
 * reports as an error. The run state is recorded for every container touched and for the cell.
 * A root container alone cannot be stopped, killed or started: that is the cell's business.
 */
export function planTaskOps(actual: ActualState, req: TaskOpsRequest): Plan {
  const plan = emptyPlan(req.target, req.now);
  const key = formatAddress(req.target);
  const record = actual.records[key];
  const fail = (d: Omit<Diagnostic, "severity" | "address">) => {
    plan.errors.push({ severity: "error", address: key, ...d });
    return plan;
  };
  if (req.target.kind !== "cell" && req.target.kind !== "container") {
    return fail({ code: "usage", summary: `only cells and containers can be ${req.op}ed` });
  }
  if (record === undefined) {
    return fail({ code: "not-found", summary: `${key} does not exist`, remedy: createRemedy(req.target) });
  }
  plan.options.project = record.project;
  const runState: RunStateChange["runState"] = req.op === "start" ? "running" : "stopped";
  const task = (address: string, after: string[]): TaskChange => ({
    address,
    op: req.op,
    ...(req.op === "kill" ? { signal: req.signal ?? DEFAULT_KILL_SIGNAL } : {}),
    after,
  });
  const cellKey = req.target.kind === "cell" ? key : `cell/${key.split("/").slice(1, -1).join("/")}`;
  const { root, workloads } = cellContainers(actual, cellKey);
  const cellCmd = `kuke ${req.op} cell ${cellKey.split("/").at(-1)} --realm ${req.target.realm} --space ${req.target.space} --stack ${req.target.stack}`;
  if (req.target.kind === "container") {
    if (key === root) {
      return fail({
        code: "failed-precondition",
        summary: "the root container owns the cell's namespaces and is started and stopped with its cell",
        remedy: cellCmd,
      });
    }
    if (req.op === "start" && cellNeedsRebuild(actual, cellKey)) {
      return fail({
        code: "failed-precondition",
        summary: "the cell's root is not running",
        remedy: cellCmd.replace(/^kuke \w+/, "kuke start"),
      });
    }
    plan.tasks = [task(key, [])];
    plan.runStates = [{ address: key, runState }];
  } else {
    if (req.op === "start" && cellNeedsRebuild(actual, cellKey)) {
      return fail({ code: "failed-precondition", summary: "the cell's root is down: the cell must be recreated" });
    }
    plan.tasks = workloads.map((w) => task(w, []));
    if (req.op !== "start" && root !== undefined) plan.tasks.push(task(root, [...workloads]));
    plan.runStates = [...workloads, ...(root !== undefined ? [root] : []), cellKey].map((address) => ({
      address,
      runState,
    }));
  }
  for (const t of plan.tasks) plan.fingerprints[t.address] = specHash(actual.resources[t.address] ?? null);
  return plan;
}

export interface RemovalRequest {
  /** A realm, space, stack or cell (a workload container is removed through `plan()` with its cell). */
  target: Address;
  /** Also delete what lives inside (spaces of a realm, stacks, cells). @default false */
  cascade: boolean;
  /** `plan.created` (ISO string). */
  now: string;
}

/**
 * `kuke delete realm|space|stack|cell NAME`: deletes the recorded resource and everything recorded
 * inside it, whichever project applied them (the address was named explicitly). A cell takes its
 * containers with it; anything else with recorded children is an error unless `cascade`.
 */
export function planRemoval(actual: ActualState, req: RemovalRequest): Plan {
  const key = formatAddress(req.target);
  const plan = emptyPlan(req.target, req.now);
  const record = actual.records[key];
  if (record === undefined) {
    plan.errors.push({
      severity: "error",
      code: "not-found",
      address: key,
      summary: `${key} has no record`,
      remedy: `to remove what is on the host without records, run '${createRemedy(req.target).replace(/^kuke create/, "kuke purge")}'`,
    });
    return plan;
  }
  if (req.target.kind === "container") {
    throw new KukeError("usage", "planRemoval removes realms, spaces, stacks and cells; containers go through plan()");
  }
  plan.options.project = record.project;
  plan.options.destroy = true;
  const prefix = `${key.slice(key.indexOf("/") + 1)}/`;
  const inside = Object.keys(actual.records).filter((k) => k.slice(k.indexOf("/") + 1).startsWith(prefix));
  const children = req.target.kind === "cell" ? [] : inside;
  if (children.length > 0 && !req.cascade) {
    const shown = sortAddressKeys(children);
    plan.errors.push({
      severity: "error",
      code: "failed-precondition",
      address: key,
      summary: `${key} still has ${children.length} resource(s) inside it`,
      detail: shown.slice(0, 10).join("\n") + (shown.length > 10 ? `\n… and ${shown.length - 10} more` : ""),
      remedy: `delete them first, or re-run with --cascade to delete ${key} and everything inside it`,
    });
    return plan;
  }
  const changes: ResourceChange[] = [];
  for (const k of sortAddressKeys([key, ...inside])) {
    const draft = newDraft(k, undefined, actual.records[k]);
    draft.action = "delete";
    draft.reason =
      k === key
        ? { kind: "requested", text: "requested with kuke delete" }
        : { kind: "requested", text: `inside ${key}` };
    changes.push(finishChange(draft, actual));
    plan.fingerprints[k] = specHash(actual.resources[k] ?? null);
  }
  plan.changes = changes;
  plan.summary.destroy = changes.length;
  // Nothing here is declared: each record's own lifecycle decides.
  plan.errors.push(...preventDestroyErrors(changes, () => undefined));
  return plan;
}
