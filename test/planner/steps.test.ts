import { suite } from "uvu";
import * as assert from "uvu/assert";
import { isKukeError, LABELS } from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import type { Step } from "../../src/planner/step-types.js";
import { planToSteps } from "../../src/planner/steps.js";
import { emptyFacts, host, options, world } from "./builders.js";
import { SCENARIOS } from "./scenarios.js";

function stepsOf(name: string): Step[] {
  const s = SCENARIOS[name]!();
  const actual = host(s.facts);
  return planToSteps(plan(s.desired, actual, s.options), s.desired, actual);
}

/** Checks the list is a DAG over known ids and returns a reachability test (`a` runs before `b`). */
function graph(steps: Step[]): (a: string, b: string) => boolean {
  const byId = new Map(steps.map((s) => [s.id, s]));
  assert.is(byId.size, steps.length, "step ids are unique");
  for (const s of steps) for (const d of s.dependsOn) assert.ok(byId.has(d), `${s.id} depends on unknown ${d}`);
  const memo = new Map<string, Set<string>>();
  const visiting = new Set<string>();
  const upstream = (id: string): Set<string> => {
    const known = memo.get(id);
    if (known) return known;
    assert.not.ok(visiting.has(id), `cycle through ${id}`);
    visiting.add(id);
    const out = new Set<string>();
    for (const d of byId.get(id)!.dependsOn) {
      out.add(d);
      for (const x of upstream(d)) out.add(x);
    }
    visiting.delete(id);
    memo.set(id, out);
    return out;
  };
  for (const s of steps) upstream(s.id);
  return (a, b) => {
    assert.ok(byId.has(a), `no step ${a}`);
    assert.ok(byId.has(b), `no step ${b}`);
    return upstream(b).has(a);
  };
}

function chain(before: (a: string, b: string) => boolean, ids: string[]): void {
  for (let i = 1; i < ids.length; i++) assert.ok(before(ids[i - 1]!, ids[i]!), `${ids[i - 1]} before ${ids[i]}`);
}

const API = "cell/main/web/app/api";
const C = (k: string) => `container/main/web/app/api/${k}`;

const t = suite("planner/steps");

t("creation order inside a cell", () => {
  const before = graph(stepsOf("create-all"));
  chain(before, [
    "namespace.ensure:realm/main",
    "cgroup.ensure:space/main/web",
    "cgroup.ensure:stack/main/web/app",
    `cgroup.ensure:${API}`,
    `container.create:${C("root")}`,
    `task.start:${C("root")}`,
    `netns.pin:${API}`,
    `cni.attach:${API}`,
    `task.start:${C("app")}`,
  ]);
  chain(before, [`task.start:${C("root")}`, `container.create:${C("app")}`, `task.start:${C("app")}`]);
  assert.ok(before("image.ensure:realm/main:kuke.dev/pause:1", `container.create:${C("root")}`));
  assert.ok(before("network.ensure:space/main/web", `cni.attach:${API}`));
  assert.ok(before("namespace.ensure:realm/main", "image.ensure:realm/main:busybox:1"));
  // Workload containers need only the root task: they are made while the network is attached,
  // and in parallel with each other.
  for (const k of ["app", "sidecar"]) {
    assert.not.ok(before(`cni.attach:${API}`, `container.create:${C(k)}`), `${k} created alongside the attach`);
    assert.not.ok(before(`netns.pin:${API}`, `container.create:${C(k)}`), `${k} created alongside the pin`);
  }
  assert.not.ok(before(`container.create:${C("app")}`, `container.create:${C("sidecar")}`));
  assert.not.ok(before(`container.create:${C("sidecar")}`, `container.create:${C("app")}`));
  // Records are written as soon as what they describe exists: a later failure leaves them behind.
  assert.ok(before(`container.create:${C("app")}`, `record.write:${C("app")}`));
  assert.not.ok(before(`task.start:${C("app")}`, `record.write:${C("app")}`));
  assert.ok(before(`cni.attach:${API}`, `record.write:${API}`));
  assert.not.ok(before(`task.start:${C("sidecar")}`, `record.write:${API}`));
});

t("independent cells share no edges, and image pulls are deduplicated", () => {
  const steps = stepsOf("create-all");
  const before = graph(steps);
  const inCell = (cell: string) => steps.filter((s) => s.address.includes(`/main/web/app/${cell}`)).map((s) => s.id);
  for (const a of inCell("api"))
    for (const b of inCell("db")) assert.not.ok(before(a, b) || before(b, a), `${a} ~ ${b}`);
  const images = steps
    .filter((s) => s.kind === "image.ensure")
    .map((s) => s.id)
    .sort();
  assert.equal(images, [
    "image.ensure:realm/main:busybox:1",
    "image.ensure:realm/main:kuke.dev/pause:1",
    "image.ensure:realm/main:postgres:16",
  ]);
});

t("container steps carry what the executor needs", () => {
  const steps = stepsOf("create-all");
  const create = steps.find((s) => s.id === `container.create:${C("app")}`);
  assert.ok(create && create.kind === "container.create");
  if (create?.kind !== "container.create") return;
  assert.is(create.namespace, "main.kukeon.io");
  assert.is(create.containerdId, "web_app_api_app");
  assert.is(create.rootContainerdId, "web_app_api_root");
  assert.is(create.netnsName, "main_web_app_api");
  assert.is(create.cgroupPath, "/kukeon/main/web/app/api/app");
  assert.is(create.spec.image, "busybox:1");
  const record = steps.find((s) => s.id === `record.write:${C("app")}`);
  assert.ok(record?.kind === "record.write");
  if (record?.kind !== "record.write") return;
  // The label refresh compares with the record is the one the record stores.
  assert.is(create.labels[LABELS.specHash], record.specHash);
  assert.is(create.labels[LABELS.role], "workload");
  assert.equal(JSON.parse(JSON.stringify(steps)), steps);
});

t("teardown order of a destroyed cell and its parents", () => {
  const before = graph(stepsOf("destroy"));
  chain(before, [
    `task.stop:${C("app")}`,
    `task.stop:${C("root")}`,
    `container.delete:${C("app")}`,
    `cgroup.remove:${C("app")}`,
    `cgroup.remove:${API}`,
    `record.delete:${API}`,
  ]);
  chain(before, [`task.stop:${C("app")}`, `cni.detach:${API}`, `netns.unpin:${API}`, "network.remove:space/main/web"]);
  // The pin keeps the namespace for CNI DEL: the root stops alongside the detach, not after it.
  assert.not.ok(before(`netns.unpin:${API}`, `task.stop:${C("root")}`));
  assert.not.ok(before(`cni.detach:${API}`, `task.stop:${C("root")}`));
  assert.ok(before(`container.delete:${C("root")}`, `cgroup.remove:${C("root")}`));
  assert.ok(before(`cgroup.remove:${API}`, "cgroup.remove:stack/main/web/app"));
  assert.ok(before("cgroup.remove:stack/main/web/app", "network.remove:space/main/web"));
  assert.ok(before("container.delete:container/main/web/app/db/pg", "namespace.delete:realm/main"));
});

t("a replaced cell is torn down, then built again", () => {
  const before = graph(stepsOf("root-image-change"));
  const db = "cell/main/web/app/db";
  const pg = "container/main/web/app/db/pg";
  chain(before, [`cni.detach:${db}`, `netns.unpin:${db}`, `cgroup.ensure:${db}`]);
  chain(before, [
    `task.stop:${pg}`,
    `container.delete:${pg}`,
    `cgroup.ensure:${db}`,
    `container.create:${pg}`,
    `task.start:${pg}`,
    `netns.pin:${db}`,
    `cni.attach:${db}`,
    `record.write:${db}`,
  ]);
  assert.ok(before("image.ensure:realm/main:postgres:17", `container.create:${pg}`));
});

t("restart-class update: container.update → task.stop → task.start, nothing else", () => {
  const steps = stepsOf("env-change");
  const before = graph(steps);
  chain(before, [
    `container.update:${C("app")}`,
    `task.stop:${C("app")}`,
    `task.start:${C("app")}`,
    `record.write:${C("app")}`,
  ]);
  assert.equal(steps.map((s) => s.kind).sort(), ["container.update", "record.write", "task.start", "task.stop"]);
});

t(
  "live update writes the cgroup and the container's spec, no restart; a dead task is restarted without a spec update",
  () => {
    assert.equal(
      stepsOf("limits-change")
        .map((s) => s.kind)
        .sort(),
      ["cgroup.update", "container.update", "record.write"],
    );
    assert.equal(
      stepsOf("drift-task-exited")
        .map((s) => s.kind)
        .sort(),
      ["record.write", "task.start", "task.stop"],
    );
    const cg = stepsOf("drift-cgroup-missing");
    assert.ok(cg.some((s) => s.id === `cgroup.ensure:${C("app")}`));
  },
);

t("workload replace and removal touch only that container", () => {
  const before = graph(stepsOf("workload-image-change"));
  chain(before, [
    `task.stop:${C("app")}`,
    `container.delete:${C("app")}`,
    `container.create:${C("app")}`,
    `task.start:${C("app")}`,
  ]);
  const removed = stepsOf("container-removed");
  const gone = graph(removed);
  chain(gone, [
    `task.stop:${C("sidecar")}`,
    `container.delete:${C("sidecar")}`,
    `cgroup.remove:${C("sidecar")}`,
    `record.delete:${C("sidecar")}`,
  ]);
  assert.ok(removed.some((s) => s.id === `record.write:${API}`));
  assert.not.ok(removed.some((s) => s.address === C("app")));
});

t("egress change re-applies the chain; an unchanged plan has no steps", () => {
  assert.equal(
    stepsOf("egress-change")
      .map((s) => s.kind)
      .sort(),
    ["egress.apply", "record.write"],
  );
  assert.equal(stepsOf("no-op"), []);
});

t("host-network cells get no netns pin or CNI attachment", () => {
  const desired = world({ cells: [{ name: "h", containers: [{ id: "a", image: "i", hostNetwork: true }] }] });
  const actual = host(emptyFacts());
  const steps = planToSteps(plan(desired, actual, options()), desired, actual);
  graph(steps);
  assert.not.ok(steps.some((s) => s.kind === "netns.pin" || s.kind === "cni.attach"));
  assert.ok(steps.some((s) => s.id === "task.start:container/main/web/app/h/a"));
});

t("every scenario without errors yields a valid step graph; one with errors yields none", () => {
  for (const name of Object.keys(SCENARIOS)) {
    const s = SCENARIOS[name]!();
    const p = plan(s.desired, host(s.facts), s.options);
    if (p.errors.some((e) => e.severity === "error")) {
      try {
        planToSteps(p, s.desired, host(s.facts));
        assert.unreachable(`${name}: steps from a plan with errors`);
      } catch (e) {
        assert.ok(isKukeError(e, "failed-precondition"), name);
      }
    } else {
      graph(stepsOf(name));
    }
  }
});

t.run();
