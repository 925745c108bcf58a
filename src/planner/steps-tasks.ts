/** Steps of the task operations and run states of an imperative plan (`planTaskOps`). */
import type { Resources } from "../model/index.js";
import { add, type Ctx, cgroupOf, id, recordedContainer } from "./steps-context.js";
import type { TaskChange } from "./types.js";

const stepId = (t: Pick<TaskChange, "op" | "address">) => id(`task.${t.op}`, t.address);

/**
 * One task step per task change (ordered as the change says), then one `record.run-state` per
 * recorded run state after every task step: a run state is only recorded once the tasks got there.
 */
export function taskSteps(ctx: Ctx): void {
  const tasks = ctx.plan.tasks ?? [];
  const byAddress = new Map(tasks.map((t) => [t.address, t]));
  const ids: string[] = [];
  for (const t of tasks) {
    const c = recordedContainer(ctx, t.address);
    const base = { address: t.address, namespace: c.namespace, containerdId: c.containerdId };
    const dependsOn = t.after.flatMap((a) => {
      const other = byAddress.get(a);
      return other ? [stepId(other)] : [];
    });
    if (t.op === "start") {
      // runc removed the container's cgroup with the stopped task; limits go back before the task starts.
      const cg = add(ctx, {
        id: id("cgroup.ensure", t.address),
        kind: "cgroup.ensure",
        address: t.address,
        dependsOn,
        cgroupPath: cgroupOf(t.address),
        resources: (ctx.actual.records[t.address]?.view.spec.resources ?? {}) as Resources,
      });
      ids.push(cg);
      ids.push(
        add(ctx, {
          id: stepId(t),
          kind: "task.start",
          dependsOn: [...dependsOn, cg],
          ...base,
          cgroupPath: cgroupOf(t.address),
        }),
      );
    } else if (t.op === "stop") {
      ids.push(add(ctx, { id: stepId(t), kind: "task.stop", dependsOn, ...base }));
    } else {
      ids.push(add(ctx, { id: stepId(t), kind: "task.kill", dependsOn, ...base, signal: t.signal ?? 9 }));
    }
  }
  for (const r of ctx.plan.runStates ?? []) {
    add(ctx, {
      id: id("record.run-state", r.address),
      kind: "record.run-state",
      address: r.address,
      dependsOn: ids,
      runState: r.runState,
    });
  }
}
