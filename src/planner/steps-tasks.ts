/**
 * Steps of the task operations and run states of an imperative plan (`planTaskOps`), emitted
 * without dependencies: `ordering/` puts a cell's root last and the run states after the tasks.
 */
import { RESTART_LABELS, type Resources } from "../model/index.js";
import type { EmittedStep, UnorderedStep } from "./ordering/emitted-step.js";
import { cgroupOf, id, recordedContainer, type StepInput } from "./steps-input.js";

/** One task step per task change (a start first ensures the cgroup), then one `record.run-state` per run state. */
export function taskSteps(input: StepInput): EmittedStep[] {
  const out: EmittedStep[] = [];
  for (const t of input.plan.tasks ?? []) {
    const c = recordedContainer(input, t.address);
    const base = { address: t.address, namespace: c.namespace, containerdId: c.containerdId };
    // Stop and kill take the task back from the restart monitor; start hands it back when its labels ask.
    const held = c.monitored ? { monitored: c.monitored } : {};
    const handBack =
      input.actual.resources[t.address]?.container?.labels[RESTART_LABELS.policy] !== undefined
        ? { monitored: true as const }
        : {};
    const steps: UnorderedStep[] =
      t.op === "start"
        ? [
            // runc removed the container's cgroup with the stopped task; limits go back before the task starts.
            {
              id: id("cgroup.ensure", t.address),
              kind: "cgroup.ensure",
              address: t.address,
              cgroupPath: cgroupOf(t.address),
              resources: (input.actual.records[t.address]?.view.spec.resources ?? {}) as Resources,
            },
            {
              id: id("task.start", t.address),
              kind: "task.start",
              ...base,
              cgroupPath: cgroupOf(t.address),
              ...handBack,
            },
          ]
        : t.op === "stop"
          ? [{ id: id("task.stop", t.address), kind: "task.stop", ...base, ...held }]
          : [{ id: id("task.kill", t.address), kind: "task.kill", ...base, ...held, signal: t.signal ?? 9 }];
    const role = c.root ? "root" : "workload";
    out.push(...steps.map((step): EmittedStep => ({ step, phase: "task", resource: t.address, role })));
  }
  for (const r of input.plan.runStates ?? []) {
    out.push({
      step: {
        id: id("record.run-state", r.address),
        kind: "record.run-state",
        address: r.address,
        runState: r.runState,
      },
      phase: "task",
      resource: r.address,
    });
  }
  return out;
}
