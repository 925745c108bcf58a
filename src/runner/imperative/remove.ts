/**
 * `delete` (through the engine, from records) and `purge` (delete when records allow, then remove
 * whatever kuke can find on the host by labels and names, then forget the records).
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { NetworkExecutor } from "../../executors/cni/index.js";
import {
  type ActualState,
  type Address,
  addressPath,
  formatAddress,
  isKukeError,
  KINDS,
  KukeError,
  parentAddress,
} from "../../model/index.js";
import { desiredFromRecords, type Plan, plan, planRemoval } from "../../planner/index.js";
import { discover, type PurgeReport, purge } from "../../purge/index.js";
import { runPathLayout } from "../../state/index.js";
import {
  type ChangeResult,
  EMPTY_DESIRED,
  nowIso,
  type PipelineOptions,
  refusePlanErrors,
  runChange,
  skipEmptyPlan,
  withLock,
} from "../pipeline.js";
import { realmNamespace } from "../realm-namespace.js";

/**
 * The deletion plan of `target`. A workload container leaves its cell through the ordinary
 * planner (its cell's membership changes); the root container cannot go alone; anything else is
 * `planRemoval` (children first, refused without `cascade` when it has children).
 */
export function removalPlan(
  actual: ActualState,
  target: Address,
  cascade: boolean,
  now: string,
): { plan: Plan; desired: typeof EMPTY_DESIRED } {
  const key = formatAddress(target);
  if (target.kind !== "container") {
    return { plan: planRemoval(actual, { target, cascade, now }), desired: EMPTY_DESIRED };
  }
  const record = actual.records[key];
  if (record === undefined) {
    throw new KukeError("not-found", `${key} has no record`, {
      remedy: `to remove what is on the host without records, run kuke purge container ${target.container} --realm ${target.realm} --space ${target.space} --stack ${target.stack} --cell ${target.cell}`,
    });
  }
  if (record.view.spec.root === true) {
    const cell = parentAddress(target)!;
    throw new KukeError("failed-precondition", `${key} is its cell's root container and cannot be deleted alone`, {
      remedy: `kuke delete cell ${addressPath(cell).at(-1)} --realm ${target.realm} --space ${target.space} --stack ${target.stack}`,
    });
  }
  const desired = desiredFromRecords(actual);
  for (const c of desired.cells) {
    if (c.realm === target.realm && c.space === target.space && c.stack === target.stack && c.name === target.cell) {
      c.spec.containers = c.spec.containers.filter((k) => k.id !== target.container);
    }
  }
  const p = plan(desired, actual, {
    project: record.project,
    prune: false,
    targets: [target],
    replace: [],
    destroy: false,
    refresh: true,
    now,
  });
  return { plan: p, desired };
}

/**
 * `kuke delete KIND NAME`: tears the resource down through the engine, children first.
 * @throws KukeError `not-found` (no record: use purge), `failed-precondition` (children and no `cascade`; nothing changes).
 */
export function deleteResource(
  o: PipelineOptions,
  target: Address,
  opts: { cascade?: boolean } = {},
): Promise<ChangeResult> {
  return runChange(o, `kuke delete ${target.kind}`, async (s) => {
    const actual = await s.refresh();
    return { ...removalPlan(actual, target, opts.cascade ?? false, nowIso(o)), actual };
  });
}

export interface PurgeResult {
  /** The engine's deletion, when kuke had records to delete from. */
  deleted?: ChangeResult;
  /** Why the deletion through records could not run or failed (purge went on regardless). */
  deleteProblem?: string;
  /** What discovery found left on the host and what became of it. */
  report: PurgeReport;
  /** Record files removed (those of the address and everything inside it). */
  recordsRemoved: number;
}

/**
 * `kuke purge KIND NAME`: deletes through the engine when the records allow it, then removes
 * whatever kuke can still find on the host for the address (containerd objects by label, cgroups,
 * CNI state, pins, chains, logs) even when the records are gone or corrupt, and finally removes the
 * records of the address and everything inside it. Holds the lock throughout.
 */
export function purgeResource(o: PipelineOptions, target: Address): Promise<PurgeResult> {
  const key = formatAddress(target);
  return withLock(o, `kuke purge ${target.kind}`, async (s) => {
    const host = s.host;
    const out: Partial<PurgeResult> = {};
    try {
      const actual = await s.refresh();
      if (
        actual.records[key] !== undefined &&
        !(target.kind === "container" && actual.records[key]!.view.spec.root === true)
      ) {
        const r = await s.pass({ ...removalPlan(actual, target, true, nowIso(o)), actual }, [
          refusePlanErrors,
          skipEmptyPlan,
        ]);
        out.deleted = r.ran
          ? { plan: r.work.plan, result: r.result, steps: r.steps }
          : { plan: r.work.plan, steps: {} };
        if (out.deleted.result && out.deleted.result.status !== "succeeded") {
          out.deleteProblem = out.deleted.result.failures.map((f) => `${f.address}: ${f.error.message}`).join("; ");
        }
      }
    } catch (e) {
      if (!isKukeError(e) || e.code === "lock-held" || e.code === "cancelled") throw e;
      out.deleteProblem = e.message;
    }
    const network = new NetworkExecutor({ runPath: o.runPath, runtimeDir: o.runtimeDir });
    const deps = {
      containerd: host.containerd,
      network,
      cgroups: host.cgroups,
      namespace: await realmNamespace(o.runPath, target.realm).catch(() => undefined),
      runPath: o.runPath,
      runtimeDir: o.runtimeDir,
    };
    if (deps.namespace === undefined) delete deps.namespace;
    const found = await discover(target, deps as Parameters<typeof discover>[1]);
    const report = await purge(found, deps as Parameters<typeof purge>[1]);
    const recordsRemoved = await removeRecordsUnder(o.runPath, target);
    return { ...out, report, recordsRemoved };
  });
}

/**
 * Removes the record files of `target` and of everything inside it, good or corrupt, by path:
 * `records/<kind>/<names…>.json` and the `records/<kind>/<names…>/` folders of deeper kinds.
 */
async function removeRecordsUnder(runPath: string, target: Address): Promise<number> {
  const root = runPathLayout(runPath).records;
  const names = addressPath(target);
  let removed = 0;
  const own = `${join(root, target.kind, ...names)}.json`;
  try {
    await rm(own);
    removed++;
  } catch {
    // not there (or unreadable): nothing to forget
  }
  for (const kind of KINDS.slice(KINDS.indexOf(target.kind) + 1)) {
    const dir = join(root, kind, ...names);
    const files = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
    removed += files.filter((f) => f.endsWith(".json")).length;
    await rm(dir, { recursive: true, force: true });
  }
  return removed;
}
