/**
 * The pure parts of the imperative verbs: the desired state rebuilt from records, task-operation
 * plans and their steps, the run state kuke records, deletion plans, and resource overlays.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { normalizeSpaceSpec } from "../../src/model/index.js";
import { desiredFromRecords, plan, planRemoval, planTaskOps, planToSteps, type Step } from "../../src/planner/index.js";
import { fragmentOf, overlay } from "../../src/runner/imperative/resources.js";
import { EMPTY_DESIRED } from "../../src/runner/pipeline.js";
import { addr, appliedFacts, containerOf, host, options, world } from "../planner/builders.js";
import { base } from "../planner/scenarios.js";

const t = suite("runner/imperative-plans");
const NOW = "2026-01-01T00:00:00.000Z";
const API = "cell/main/web/app/api";
const API_APP = "container/main/web/app/api/app";
const API_SIDECAR = "container/main/web/app/api/sidecar";
const API_ROOT = "container/main/web/app/api/root";

function applied() {
  return appliedFacts(world(base()));
}

function byId(steps: Step[]): Map<string, Step> {
  return new Map(steps.map((s) => [s.id, s]));
}

/** True when `a` is (transitively) a dependency of `b`. */
function before(steps: Step[], a: string, b: string): boolean {
  const m = byId(steps);
  const seen = new Set<string>();
  const walk = (id: string): boolean => {
    for (const d of m.get(id)?.dependsOn ?? []) {
      if (d === a) return true;
      if (!seen.has(d)) {
        seen.add(d);
        if (walk(d)) return true;
      }
    }
    return false;
  };
  return walk(b);
}

t("desired state from records plans no change against the records it came from", () => {
  const actual = host(applied());
  const p = plan(desiredFromRecords(actual), actual, options());
  assert.equal(
    p.changes.filter((c) => c.action !== "noop").map((c) => c.address),
    [],
  );
  assert.is(p.changes.length, Object.keys(actual.records).length);
});

t("desired state from records: containers are the records under the cell, root first", () => {
  const facts = applied();
  // A container recorded in the cell but not (yet) in the cell's own record still belongs to it.
  const extra = structuredClone(facts.records[API_SIDECAR]!);
  extra.address = "container/main/web/app/api/extra";
  (extra.view.spec as { id: string }).id = "extra";
  facts.records[extra.address] = extra;
  const d = desiredFromRecords(host(facts));
  const api = d.cells.find((c) => c.name === "api")!;
  assert.equal(
    api.spec.containers.map((k) => k.id),
    ["root", "app", "sidecar", "extra"],
  );
  assert.equal(d.realms[0]!.spec.registryCredentials, []);
});

t("desired state from records leaves out a cell whose root container has no record", () => {
  const facts = applied();
  delete facts.records[API_ROOT];
  const d = desiredFromRecords(host(facts));
  assert.equal(
    d.cells.map((c) => c.name),
    ["db"],
  );
});

t("stop cell: workloads stop first, then the root, then the run state is recorded", () => {
  const actual = host(applied());
  const p = planTaskOps(actual, { op: "stop", target: addr(API), now: NOW });
  assert.equal(p.errors, []);
  assert.equal(
    p.tasks?.map((x) => `${x.op} ${x.address}`),
    [`stop ${API_APP}`, `stop ${API_SIDECAR}`, `stop ${API_ROOT}`],
  );
  assert.equal(
    p.runStates?.map((r) => `${r.address}=${r.runState}`),
    [`${API_APP}=stopped`, `${API_SIDECAR}=stopped`, `${API_ROOT}=stopped`, `${API}=stopped`],
  );
  const steps = planToSteps(p, EMPTY_DESIRED, actual);
  assert.ok(before(steps, `task.stop:${API_APP}`, `task.stop:${API_ROOT}`));
  assert.ok(before(steps, `task.stop:${API_SIDECAR}`, `task.stop:${API_ROOT}`));
  assert.ok(before(steps, `task.stop:${API_ROOT}`, `record.run-state:${API}`));
  assert.is(steps.filter((s) => s.kind === "task.stop").length, 3);
  assert.is(steps.filter((s) => s.kind === "record.run-state").length, 4);
});

t("kill sends SIGKILL unless told otherwise, through task.kill steps", () => {
  const actual = host(applied());
  const dflt = planToSteps(planTaskOps(actual, { op: "kill", target: addr(API_APP), now: NOW }), EMPTY_DESIRED, actual);
  const kill = dflt.find((s) => s.kind === "task.kill");
  assert.ok(kill && kill.kind === "task.kill");
  assert.is(kill.signal, 9);
  const term = planTaskOps(actual, { op: "kill", target: addr(API_APP), signal: 15, now: NOW });
  const steps = planToSteps(term, EMPTY_DESIRED, actual);
  assert.is((steps.find((s) => s.kind === "task.kill") as { signal: number }).signal, 15);
  assert.equal(steps.map((s) => s.kind).sort(), ["record.run-state", "task.kill"]);
});

t("task operations refuse a root container, a missing resource, and starting a workload whose root is down", () => {
  const facts = applied();
  const root = planTaskOps(host(facts), { op: "stop", target: addr(API_ROOT), now: NOW });
  assert.is(root.errors[0]?.code, "failed-precondition");
  assert.match(root.errors[0]?.remedy ?? "", "kuke stop cell api --realm main --space web --stack app");
  const missing = planTaskOps(host(facts), { op: "stop", target: addr("cell/main/web/app/nope"), now: NOW });
  assert.is(missing.errors[0]?.code, "not-found");
  containerOf(facts, API_ROOT).task = { status: "missing" };
  const start = planTaskOps(host(facts), { op: "start", target: addr(API_APP), now: NOW });
  assert.is(start.errors[0]?.code, "failed-precondition");
  assert.match(start.errors[0]?.remedy ?? "", "kuke start cell api");
  assert.throws(() => planToSteps(start, EMPTY_DESIRED, host(facts)));
});

t("a task stopped by kuke stop is shown, not repaired; without the run state it is drift to repair", () => {
  const facts = applied();
  containerOf(facts, API_APP).task = { status: "missing" };
  const desired = world(base());
  const repaired = plan(desired, host(facts), options());
  assert.is(repaired.changes.find((c) => c.address === API_APP)?.action, "update");
  facts.records[API_APP]!.extra.runState = "stopped";
  const left = plan(desired, host(facts), options());
  assert.is(left.changes.find((c) => c.address === API_APP)?.action, "noop");
  assert.equal(
    left.drift.map((d) => `${d.address}: ${d.text}`),
    [`${API_APP}: stopped by kuke stop`],
  );
});

t("a stopped cell is not replaced by apply; replacing it on purpose clears the run state", () => {
  const facts = applied();
  for (const k of [API, API_APP, API_SIDECAR, API_ROOT]) facts.records[k]!.extra.runState = "stopped";
  for (const k of [API_APP, API_SIDECAR, API_ROOT]) containerOf(facts, k).task = { status: "missing" };
  const desired = world(base());
  const kept = plan(desired, host(facts), options());
  assert.equal(
    kept.changes.filter((c) => c.action !== "noop").map((c) => c.address),
    [],
  );
  const actual = host(facts);
  const fromRecords = desiredFromRecords(actual);
  const p = plan(fromRecords, actual, options({ targets: [addr(API)], replace: [addr(API)] }));
  assert.is(p.changes.find((c) => c.address === API)?.action, "replace");
  const steps = planToSteps(p, fromRecords, actual);
  const cleared = steps.filter((s) => s.kind === "record.run-state");
  assert.equal(cleared.map((s) => s.address).sort(), [API, API_APP, API_ROOT, API_SIDECAR].sort());
  assert.ok(cleared.every((s) => s.kind === "record.run-state" && s.runState === "running"));
  assert.ok(before(steps, `record.write:${API}`, `record.run-state:${API}`));
});

t("delete of a stack with cells is refused without cascade and plans nothing", () => {
  const actual = host(applied());
  const p = planRemoval(actual, { target: addr("stack/main/web/app"), cascade: false, now: NOW });
  assert.is(p.errors[0]?.code, "failed-precondition");
  assert.match(p.errors[0]?.remedy ?? "", "--cascade");
  assert.equal(p.changes, []);
});

t("delete with cascade tears down children first", () => {
  const actual = host(applied());
  const p = planRemoval(actual, { target: addr("stack/main/web/app"), cascade: true, now: NOW });
  assert.equal(p.errors, []);
  const inside = Object.keys(actual.records).filter((k) => k.includes("/main/web/app"));
  assert.is(p.summary.destroy, inside.length);
  assert.ok(inside.length >= 6);
  assert.ok(p.changes.every((c) => c.action === "delete"));
  const steps = planToSteps(p, EMPTY_DESIRED, actual);
  assert.ok(before(steps, `cgroup.remove:${API}`, "cgroup.remove:stack/main/web/app"));
  assert.ok(before(steps, `container.delete:${API_APP}`, `cgroup.remove:${API}`));
  assert.ok(steps.some((s) => s.id === "record.delete:stack/main/web/app"));
});

t("delete of a cell needs no cascade (its containers are part of it); a missing record is not-found", () => {
  const actual = host(applied());
  const p = planRemoval(actual, { target: addr(API), cascade: false, now: NOW });
  assert.equal(p.errors, []);
  assert.is(p.summary.destroy, 4);
  const missing = planRemoval(actual, { target: addr("cell/main/web/app/nope"), cascade: false, now: NOW });
  assert.is(missing.errors[0]?.code, "not-found");
  assert.match(missing.errors[0]?.remedy ?? "", "kuke purge cell nope");
});

t("overlay: a new container joins its recorded cell with the space's defaults; a root cannot be overwritten", () => {
  const facts = applied();
  const spec = normalizeSpaceSpec({ defaults: { container: { user: "1000" } } });
  facts.records["space/main/web"]!.view.spec = JSON.parse(JSON.stringify(spec));
  const actual = host(facts);
  const fragment = fragmentOf(
    [
      {
        kind: "container",
        realm: "main",
        space: "web",
        stack: "app",
        cell: "api",
        name: "extra",
        spec: { image: "busybox" },
      },
    ],
    actual,
  );
  const merged = overlay(desiredFromRecords(actual), fragment, new Set());
  const added = merged.cells.find((c) => c.name === "api")!.spec.containers.find((k) => k.id === "extra");
  assert.is(added?.user, "1000");
  assert.is(added?.root, false);
  const p = plan(merged, actual, options({ targets: [addr("container/main/web/app/api/extra")] }));
  assert.equal(
    p.changes.map((c) => `${c.action} ${c.address}`),
    ["create container/main/web/app/api/extra"],
  );
  const root = fragmentOf(
    [
      {
        kind: "container",
        realm: "main",
        space: "web",
        stack: "app",
        cell: "api",
        name: "root",
        spec: { image: "busybox" },
      },
    ],
    actual,
  );
  assert.throws(() => overlay(desiredFromRecords(actual), root, new Set()), /root container/);
});

t("overlay keeps recorded resources as they are in ensure mode", () => {
  const actual = host(applied());
  const fragment = fragmentOf(
    [{ kind: "stack", realm: "main", space: "web", name: "app", labels: { x: "y" } }],
    actual,
  );
  const kept = overlay(desiredFromRecords(actual), fragment, new Set(["stack/main/web/app"]));
  assert.equal(kept.stacks.find((s) => s.name === "app")?.labels, {});
  const changed = overlay(desiredFromRecords(actual), fragment, new Set());
  assert.equal(changed.stacks.find((s) => s.name === "app")?.labels, { x: "y" });
});

t.run();
