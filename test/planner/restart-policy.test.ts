/**
 * Planning follows the restart policy (issue 10): a finished one-shot job is Completed, a failed one
 * is drift with its exit code, a task containerd's restart monitor holds is not a repair, and a
 * policy change only rewrites labels.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  type ContainerInput,
  type HostFacts,
  monitoredPolicies,
  RESTART_LABELS,
  type RestartPolicy,
  restartCount,
  restartLabels,
} from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import { planToSteps } from "../../src/planner/steps.js";
import { appliedFacts, containerOf, host, options, world } from "./builders.js";

const JOB = "container/main/web/app/batch/job";

function jobWorld(policy: RestartPolicy, over: Partial<ContainerInput> = {}) {
  return world({
    cells: [
      {
        name: "batch",
        containers: [{ id: "job", image: "busybox:1", args: ["true"], restartPolicy: policy, ...over }],
      },
    ],
  });
}

/** The job's cell applied with `policy`, then its task changed by `mutate`; planned against `now`. */
function planJob(policy: RestartPolicy, mutate: (f: HostFacts) => void, now = jobWorld(policy)) {
  const facts = appliedFacts(jobWorld(policy));
  mutate(facts);
  const actual = host(facts);
  const p = plan(now, actual, options());
  return { plan: p, steps: planToSteps(p, now, actual), change: p.changes.find((c) => c.address === JOB)! };
}

const exited = (code: number) => (f: HostFacts) => {
  containerOf(f, JOB).task = { status: "stopped", exitCode: code };
};
const handedToMonitor = (f: HostFacts) => {
  const c = containerOf(f, JOB);
  c.labels = { ...c.labels, [RESTART_LABELS.policy]: "always", [RESTART_LABELS.status]: "running" };
};

const t = suite("planner/restart-policy");

t("a 'no' job that exited 0 is Completed: no drift, nothing to run again", () => {
  const { plan: p, steps } = planJob("no", exited(0));
  assert.equal(p.drift, []);
  assert.is(p.changes.filter((c) => c.action !== "noop").length, 0);
  assert.equal(
    steps.filter((s) => s.kind === "task.start"),
    [],
  );
});

t("a 'no' job that failed is drift shown with its exit code, and is restarted", () => {
  const { plan: p, steps, change } = planJob("no", exited(3));
  assert.equal(
    p.drift.map((d) => d.text),
    ["task exited with code 3 outside kuke"],
  );
  assert.is(change.action, "update");
  assert.ok(steps.some((s) => s.id === `task.start:${JOB}`));
});

t("an on-failure container that exited 0 stays exited; one that failed is repaired", () => {
  assert.equal(planJob("on-failure", exited(0)).plan.drift, []);
  assert.is(planJob("on-failure", exited(1)).change.action, "update");
});

t("an 'always' container that exited without the monitor's label is drift (apply restarts it)", () => {
  assert.is(planJob("always", exited(0)).change.action, "update");
});

t("a dead task the restart monitor holds is not a repair, unless the monitor is not loaded", () => {
  for (const status of ["stopped", "missing", "created"] as const) {
    const { plan: p, steps } = planJob("always", (f) => {
      handedToMonitor(f);
      containerOf(f, JOB).task = { status, ...(status === "stopped" ? { exitCode: 137 } : {}) };
    });
    assert.equal(p.drift, [], status);
    assert.equal(
      steps.filter((s) => s.kind === "task.start" || s.kind === "task.stop"),
      [],
      status,
    );
  }
  const { change } = planJob("always", (f) => {
    handedToMonitor(f);
    exited(137)(f);
    f.restartMonitor = { loaded: false, capabilities: [] };
  });
  assert.is(change.action, "update");
});

t("changing the policy is live: the container's labels are rewritten, its task is not restarted", () => {
  const { change, steps } = planJob("no", () => undefined, jobWorld("always"));
  assert.is(change.action, "update");
  assert.equal(
    change.fieldEffects.map((f) => [f.path, f.effect]),
    [["spec.restartPolicy", "live"]],
  );
  assert.not.ok(change.restarts);
  const kinds = steps.filter((s) => s.address === JOB).map((s) => s.kind);
  assert.ok(kinds.includes("container.update"));
  assert.not.ok(kinds.includes("task.stop") || kinds.includes("task.start") || kinds.includes("cgroup.update"));
  const upd = steps.find((s) => s.kind === "container.update" && s.address === JOB);
  assert.is(upd?.kind === "container.update" ? upd.labels[RESTART_LABELS.policy] : undefined, "always");
});

t("created workloads carry the policy label and hand their task to the monitor; roots never", () => {
  const desired = world({
    cells: [
      {
        name: "web",
        containers: [
          { id: "pause", root: true, image: "busybox:1", restartPolicy: "always" },
          { id: "app", image: "busybox:1", restartPolicy: "always" },
        ],
      },
    ],
  });
  const actual = host(appliedFacts(world({ cells: [] })));
  const steps = planToSteps(plan(desired, actual, options()), desired, actual);
  const create = (name: string) => steps.find((s) => s.kind === "container.create" && s.address.endsWith(`/${name}`));
  const start = (name: string) => steps.find((s) => s.kind === "task.start" && s.address.endsWith(`/${name}`));
  const app = create("app");
  assert.is(app?.kind === "container.create" ? app.labels[RESTART_LABELS.policy] : undefined, "always");
  // The status label is set by task.start once the task runs, never at create.
  assert.is(app?.kind === "container.create" ? app.labels[RESTART_LABELS.status] : "x", undefined);
  const monitored = (name: string) => {
    const s = start(name);
    return s?.kind === "task.start" ? s.monitored === true : undefined;
  };
  assert.is(monitored("app"), true);
  const root = create("pause");
  assert.is(root?.kind === "container.create" ? root.labels[RESTART_LABELS.policy] : "x", undefined);
  assert.is(monitored("pause"), false);
});

t("stop and delete steps of a task the monitor holds take it back first; others do not ask", () => {
  const desired = jobWorld("always");
  const facts = appliedFacts(desired);
  handedToMonitor(facts);
  const actual = host(facts);
  const steps = planToSteps(plan(desired, actual, options({ destroy: true })), desired, actual);
  const flag = (kind: string, key: string) => {
    const s = steps.find((x) => x.kind === kind && x.address === key) as { monitored?: boolean } | undefined;
    return s?.monitored === true;
  };
  assert.is(flag("task.stop", JOB), true);
  assert.is(flag("container.delete", JOB), true);
  assert.is(flag("task.stop", "container/main/web/app/batch/root"), false);
});

t("policies map onto the monitor by what it announces (1.6 announces none and ignores the policy label)", () => {
  const v16 = { loaded: true, capabilities: [] };
  const v17 = { loaded: true, capabilities: ["always", "no", "on-failure", "unless-stopped"] };
  assert.equal(monitoredPolicies(v16), ["always", "unless-stopped"]);
  assert.equal(monitoredPolicies(v17), ["always", "on-failure", "unless-stopped"]);
  assert.equal(monitoredPolicies({ loaded: false, capabilities: [] }), []);
  assert.equal(restartLabels("on-failure", "workload", v16), {});
  assert.equal(restartLabels("on-failure", "workload", v17), { [RESTART_LABELS.policy]: "on-failure" });
  assert.equal(restartLabels("no", "workload", v17), {});
  assert.equal(restartLabels("always", "root", v17), {});
  assert.is(restartLabels("unless-stopped", "workload", undefined)[RESTART_LABELS.policy], "unless-stopped");
});

t("restart count: containerd's own when kept, else whether the running task is not kuke's", () => {
  assert.equal(restartCount({ [RESTART_LABELS.count]: "4" }, 10), { count: 4, exact: true });
  assert.equal(restartCount({ [RESTART_LABELS.startedPid]: "10" }, 10), { count: 0, exact: true });
  assert.equal(restartCount({ [RESTART_LABELS.startedPid]: "10" }, 11), { count: 1, exact: false });
  assert.equal(restartCount({}, 11), { count: 0, exact: true });
});

t.run();
