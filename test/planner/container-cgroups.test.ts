/**
 * runc makes a container's cgroup from the OCI spec when its task starts and removes it with the
 * task, so kuke ensures only the realm/space/stack/cell levels on creation, and a container whose
 * task is down is not missing anything.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { cgroupPath, type HostFacts } from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import { planToSteps } from "../../src/planner/steps.js";
import { containerOf, host } from "./builders.js";
import { SCENARIOS, type Scenario } from "./scenarios.js";

const APP = "container/main/web/app/api/app";
const APP_CGROUP = cgroupPath("main", "web", "app", "api", "app");

function run(s: Scenario) {
  const actual = host(s.facts);
  const p = plan(s.desired, actual, s.options);
  return { plan: p, steps: planToSteps(p, s.desired, actual) };
}

/** A named scenario with the host changed further by `mutate`. */
function variant(name: string, mutate: (f: HostFacts) => void): Scenario {
  const s = SCENARIOS[name]!();
  mutate(s.facts);
  return s;
}

const dropAppCgroup = (f: HostFacts) => {
  f.cgroups = f.cgroups.filter((p) => p !== APP_CGROUP);
};

const t = suite("planner/container-cgroups");

t("creation ensures the cgroups of realm, space, stack and cells, never a container's", () => {
  const { steps } = run(SCENARIOS["create-all"]!());
  const ensured = steps.filter((s) => s.kind === "cgroup.ensure").map((s) => s.address);
  assert.ok(ensured.length > 0);
  assert.ok(ensured.includes("cell/main/web/app/api"));
  assert.equal(
    ensured.filter((a) => a.startsWith("container/")),
    [],
  );
  // Each container is created once its cell's cgroup exists, so runc finds the parent in place.
  for (const s of steps.filter((x) => x.kind === "container.create")) {
    const cell = s.address.split("/").slice(1, -1).join("/");
    assert.ok(s.dependsOn.includes(`cgroup.ensure:cell/${cell}`), s.id);
  }
});

t("a container added to a running cell gets no cgroup.ensure", () => {
  const { steps } = run(SCENARIOS["container-added"]!());
  assert.equal(
    steps.filter((s) => s.kind === "cgroup.ensure"),
    [],
  );
  assert.ok(steps.some((s) => s.id === "task.start:container/main/web/app/api/metrics"));
});

t("a container whose task exited and lost its cgroup is restarted, not reported as missing a cgroup", () => {
  for (const status of ["stopped", "missing", "created"] as const) {
    const { plan: p, steps } = run(
      variant("drift-task-exited", (f) => {
        containerOf(f, APP).task = status === "stopped" ? { status, exitCode: 1 } : { status };
        dropAppCgroup(f);
      }),
    );
    assert.equal(
      p.drift.map((d) => d.kind),
      ["task-exited"],
      status,
    );
    assert.equal(steps.map((s) => s.kind).sort(), ["record.write", "task.start", "task.stop"], status);
  }
});

t("a missing container is created without a cgroup finding", () => {
  const { plan: p, steps } = run(
    variant("drift-container-missing", (f) => {
      f.cgroups = f.cgroups.filter((x) => x !== cgroupPath("main", "web", "app", "api", "sidecar"));
    }),
  );
  assert.equal(
    p.drift.map((d) => d.kind),
    ["container-missing"],
  );
  assert.not.ok(steps.some((s) => s.kind === "cgroup.ensure"));
});

t("a running task's missing cgroup is still drift, repaired by an ensure", () => {
  const { plan: p, steps } = run(variant("no-op", dropAppCgroup));
  assert.equal(
    p.drift.map((d) => d.kind),
    ["cgroup-missing"],
  );
  assert.ok(steps.some((s) => s.id === `cgroup.ensure:${APP}`));
});

t("new limits go to a running task's cgroup; a task that is down gets them from its restart", () => {
  const live = run(SCENARIOS["limits-change"]!()).steps;
  assert.ok(live.some((s) => s.id === `cgroup.update:${APP}`));
  const down = run(
    variant("limits-change", (f) => {
      containerOf(f, APP).task = { status: "missing" };
      dropAppCgroup(f);
    }),
  ).steps;
  assert.not.ok(down.some((s) => s.kind === "cgroup.update" || s.kind === "cgroup.ensure"));
  assert.ok(down.some((s) => s.id === `container.update:${APP}`));
  assert.ok(down.some((s) => s.id === `task.start:${APP}`));
});

t("a cell's and a stack's missing cgroup are drift whatever the tasks do", () => {
  const { plan: p } = run(
    variant("no-op", (f) => {
      f.cgroups = f.cgroups.filter((x) => x !== cgroupPath("main", "web", "app", "api"));
    }),
  );
  assert.equal(
    p.drift.map((d) => d.kind),
    ["cgroup-missing"],
  );
});

t.run();
