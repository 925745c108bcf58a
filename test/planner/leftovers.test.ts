import { suite } from "uvu";
import * as assert from "uvu/assert";
import { containerLabels, type DesiredState, type HostFacts, isKukeError } from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import type { Step } from "../../src/planner/step-types.js";
import { planToSteps } from "../../src/planner/steps.js";
import type { Plan } from "../../src/planner/types.js";
import { addr, appliedFacts, cellNetns, containerOf, host, options, world } from "./builders.js";
import { base, cells } from "./scenarios.js";

const API = "cell/main/web/app/api";
const C = (k: string) => `container/main/web/app/api/${k}`;
const REASON = "drift: left behind by an interrupted apply";

/** The applied base world, with the records of `keys` gone (what an interrupted apply leaves). */
function unrecorded(keys: string[], desired: DesiredState = world(base())): HostFacts {
  const facts = appliedFacts(desired);
  for (const k of keys) delete facts.records[k];
  return facts;
}

function run(desired: DesiredState, facts: HostFacts, over: Parameters<typeof options>[0] = {}) {
  const actual = host(facts);
  const p = plan(desired, actual, options(over));
  const steps = p.errors.some((e) => e.severity === "error") ? [] : planToSteps(p, desired, actual);
  return { plan: p, steps, actual };
}

const changes = (p: Plan) =>
  p.changes
    .filter((c) => c.action !== "noop")
    .map((c) => `${c.action} ${c.address}${c.reason ? ` (${c.reason.text})` : ""}`);

/** `a` runs before `b` (transitively). */
function before(steps: Step[], a: string, b: string): boolean {
  const byId = new Map(steps.map((s) => [s.id, s]));
  assert.ok(byId.has(a), `no step ${a}`);
  assert.ok(byId.has(b), `no step ${b}`);
  const seen = new Set<string>();
  const stack = [...byId.get(b)!.dependsOn];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === a) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.dependsOn ?? []));
  }
  return false;
}

const t = suite("planner/leftovers of an interrupted apply");

t("a cell whose records are missing but whose containers, pin and attachment are there is replaced", () => {
  const desired = world(base());
  const { plan: p, steps } = run(desired, unrecorded([API, C("root"), C("app"), C("sidecar")]));
  assert.equal(p.errors, []);
  assert.equal(
    p.drift.filter((d) => d.kind === "left-behind").map((d) => d.address),
    [API, C("app"), C("root"), C("sidecar")].sort(),
  );
  const cell = p.changes.find((c) => c.address === API)!;
  assert.is(cell.action, "replace");
  assert.is(cell.reason?.text, REASON);
  for (const k of ["root", "app", "sidecar"]) assert.is(p.changes.find((c) => c.address === C(k))?.action, "replace");
  // Everything found is torn down before it is made again.
  assert.ok(before(steps, `cni.detach:${API}`, `netns.unpin:${API}`));
  assert.ok(before(steps, `netns.unpin:${API}`, `netns.pin:${API}`));
  for (const k of ["root", "app", "sidecar"]) {
    assert.ok(before(steps, `task.stop:${C(k)}`, `container.delete:${C(k)}`));
    assert.ok(before(steps, `container.delete:${C(k)}`, `container.create:${C(k)}`));
  }
});

t("a recorded cell with one unrecorded workload container replaces only that container", () => {
  const desired = world(base());
  const { plan: p, steps } = run(desired, unrecorded([C("app")]));
  assert.equal(changes(p), [`replace ${C("app")} (${REASON})`]);
  const ids = steps.map((s) => s.id).sort();
  assert.equal(ids, [
    `container.create:${C("app")}`,
    `container.delete:${C("app")}`,
    "image.ensure:realm/main:busybox:1",
    `record.write:${C("app")}`,
    `task.start:${C("app")}`,
    `task.stop:${C("app")}`,
  ]);
  assert.ok(before(steps, `container.delete:${C("app")}`, `container.create:${C("app")}`));
});

t("a workload whose image was missing (no container, no record) in a recorded cell is just created", () => {
  const desired = world(base());
  const facts = unrecorded([C("sidecar")]);
  delete facts.namespaces["main.kukeon.io"]!.containers[containerOf(appliedFacts(desired), C("sidecar")).id];
  const { plan: p } = run(desired, facts);
  assert.equal(changes(p), [`create ${C("sidecar")}`]);
  assert.equal(p.drift, []);
});

t("a container without kuke's labels under a desired id is still in the way", () => {
  const desired = world(base());
  const facts = unrecorded([C("app")]);
  containerOf(facts, C("app")).labels = {};
  const { plan: p } = run(desired, facts);
  assert.ok(p.errors.some((e) => e.code === "already-exists" && e.address === C("app")));
  assert.ok(p.drift.some((d) => d.kind === "unmanaged-object"));
  try {
    planToSteps(p, desired, host(facts));
    assert.unreachable("a plan with errors must not become steps");
  } catch (e) {
    assert.ok(isKukeError(e, "failed-precondition"));
  }
});

t("kuke's labels for another address under a desired id are in the way too", () => {
  const desired = world(base());
  const facts = unrecorded([C("app")]);
  const other = addr("container/main/web/app/db/pg");
  if (other.kind !== "container") throw new Error("container address");
  containerOf(facts, C("app")).labels = containerLabels(other, "workload", "sha256:x");
  const { plan: p } = run(desired, facts);
  assert.ok(p.errors.some((e) => e.code === "already-exists" && e.address === C("app")));
});

t("destroy removes an unrecorded cell's containers, pin, attachment and cgroups before the space network", () => {
  const desired = world(base());
  const { plan: p, steps } = run(desired, unrecorded([API, C("root"), C("app"), C("sidecar")]), { destroy: true });
  assert.equal(p.errors, []);
  for (const k of [API, C("root"), C("app"), C("sidecar")]) {
    assert.is(p.changes.find((c) => c.address === k)?.action, "delete", k);
  }
  for (const k of ["root", "app", "sidecar"]) {
    assert.ok(before(steps, `container.delete:${C(k)}`, `cgroup.remove:${API}`));
  }
  assert.ok(before(steps, `cni.detach:${API}`, "network.remove:space/main/web"));
  assert.ok(before(steps, `netns.unpin:${API}`, "network.remove:space/main/web"));
  assert.ok(before(steps, `cgroup.remove:${API}`, "cgroup.remove:realm/main"));
});

t("destroy removes a space network that was made but never recorded", () => {
  const desired = world(base({ cells: [] }));
  const facts = unrecorded(["space/main/web"], desired);
  const { plan: p, steps } = run(desired, facts, { destroy: true });
  assert.is(p.changes.find((c) => c.address === "space/main/web")?.action, "delete");
  assert.ok(steps.some((s) => s.id === "network.remove:space/main/web"));
});

t("destroy leaves alone a declared cell that never reached the host", () => {
  const desired = world(base());
  const facts = unrecorded([API, C("root"), C("app"), C("sidecar")]);
  const ns = facts.namespaces["main.kukeon.io"]!;
  for (const k of ["root", "app", "sidecar"]) delete ns.containers[containerOf(appliedFacts(desired), C(k)).id];
  facts.netnsPinned = facts.netnsPinned.filter((n) => n !== cellNetns(API));
  delete facts.attachments[cellNetns(API)];
  facts.cgroups = facts.cgroups.filter((c) => !c.startsWith("/kukeon/main/web/app/api"));
  const { plan: p } = run(desired, facts, { destroy: true });
  assert.not.ok(
    p.changes.some((c) => c.address.includes("/api")),
    JSON.stringify(changes(p)),
  );
});

t("an unrecorded container that a declared cell no longer lists is deleted", () => {
  const applied = world(base());
  const facts = unrecorded([C("sidecar")], applied);
  const desired = world(base({ cells: cells({ api: [{ id: "app", image: "busybox:1", args: ["sleep", "3600"] }] }) }));
  const { plan: p, steps } = run(desired, facts);
  const change = p.changes.find((c) => c.address === C("sidecar"));
  assert.is(change?.action, "delete");
  assert.is(change?.reason?.text, REASON);
  assert.ok(steps.some((s) => s.id === `container.delete:${C("sidecar")}`));
});

t("pruning a recorded cell also removes a container of it that was never recorded", () => {
  const applied = world(base());
  const facts = unrecorded([C("sidecar")], applied);
  const desired = world(base({ cells: cells().filter((c) => c.name !== "api") }));
  const { plan: p, steps } = run(desired, facts, { prune: true });
  assert.is(p.changes.find((c) => c.address === API)?.action, "delete");
  for (const k of ["root", "app", "sidecar"]) {
    assert.ok(before(steps, `container.delete:${C(k)}`, `cgroup.remove:${API}`), k);
  }
});

t.run();
