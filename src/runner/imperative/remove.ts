/** `delete`: the removal plan of an address, from records, through the pipeline. */
import {
  type ActualState,
  type Address,
  addressPath,
  formatAddress,
  KukeError,
  parentAddress,
} from "../../model/index.js";
import { desiredFromRecords, type Plan, plan, planRemoval } from "../../planner/index.js";
import { type ChangeResult, EMPTY_DESIRED, nowIso, type PipelineOptions, runChange } from "../pipeline.js";

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
