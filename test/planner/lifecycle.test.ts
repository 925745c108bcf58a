import { suite } from "uvu";
import * as assert from "uvu/assert";
import { actualState, type ContainerInput, type DesiredState, type HostFacts } from "../../src/model/index.js";
import { planRemoval } from "../../src/planner/imperative-plan.js";
import { plan } from "../../src/planner/plan.js";
import { desiredFromRecords } from "../../src/planner/records-desired.js";
import { indexDesired } from "../../src/planner/resource-view.js";
import type { RecordWriteStep } from "../../src/planner/step-types.js";
import { planToSteps } from "../../src/planner/steps.js";
import type { Plan } from "../../src/planner/types.js";
import { addr, appliedFacts, containerOf, host, options, world } from "./builders.js";

const CELL = "cell/main/web/app/api";
const APP = "container/main/web/app/api/app";
const SIDE = "container/main/web/app/api/side";

function desired(app: Partial<ContainerInput> = {}, side = true): DesiredState {
  const containers: ContainerInput[] = [{ id: "app", image: "app:1", root: true, ...app }];
  if (side) containers.push({ id: "side", image: "side:1" });
  return world({ cells: [{ name: "api", containers }] });
}

/** `d` with the cell's `lifecycle` set (the loader keeps it beside the spec). */
function protectCell(d: DesiredState): DesiredState {
  d.cells[0]!.lifecycle = { preventDestroy: true };
  return d;
}

const guards = (p: Plan) => p.errors.filter((e) => e.code === "guard").map((e) => e.address);
const active = (p: Plan) => p.changes.filter((c) => c.action !== "noop").map((c) => `${c.action} ${c.address}`);

function applied(d: DesiredState): HostFacts {
  return appliedFacts(d);
}

const t = suite("planner/lifecycle");

t("preventDestroy refuses a forced replacement, naming the field that forces it", () => {
  const facts = applied(protectCell(desired()));
  const p = plan(protectCell(desired({ image: "app:2" })), host(facts), options());
  assert.equal(guards(p), [CELL]);
  const e = p.errors.find((x) => x.code === "guard")!;
  assert.is(e.severity, "error");
  assert.match(e.summary, "would replace cell/main/web/app/api");
  assert.match(e.summary, "field spec.containers[app].image forces replacement");
  assert.match(e.remedy ?? "", "remove lifecycle.preventDestroy");
  assert.throws(() => planToSteps(p, protectCell(desired({ image: "app:2" })), host(facts)));
});

t("a protected container inside a replaced cell refuses the cascade", () => {
  const d = desired({}, false);
  d.cells[0]!.spec.containers.push({ ...d.cells[0]!.spec.containers[0]!, id: "side", root: false });
  d.cells[0]!.spec.containers[1]!.lifecycle = { preventDestroy: true };
  const facts = applied(d);
  const next = structuredClone(d);
  next.cells[0]!.spec.containers[0]!.image = "app:2";
  const p = plan(next, host(facts), options());
  assert.equal(guards(p), [SIDE]);
  assert.match(p.errors.find((e) => e.code === "guard")!.summary, "replaced along with cell/main/web/app/api");
});

t("--replace of a protected resource is refused too", () => {
  const facts = applied(protectCell(desired()));
  const p = plan(protectCell(desired()), host(facts), options({ replace: [addr(CELL)] }));
  assert.equal(guards(p), [CELL]);
  assert.match(p.errors[0]!.summary, "requested with --replace");
});

t("a drift repair that replaces a protected cell (its root task died) is refused too", () => {
  const facts = applied(protectCell(desired()));
  containerOf(facts, APP).task = { status: "stopped", exitCode: 137 };
  const p = plan(protectCell(desired()), host(facts), options());
  assert.equal(guards(p), [CELL]);
  assert.match(p.errors.find((e) => e.code === "guard")!.summary, "drift:");
});

t("without preventDestroy the same plans have no guard error", () => {
  const facts = applied(desired());
  assert.equal(guards(plan(desired({ image: "app:2" }), host(facts), options())), []);
  assert.equal(guards(plan(desired(), host(facts), options({ replace: [addr(CELL)] }))), []);
});

t("the record remembers preventDestroy: a pruned resource is still protected", () => {
  const facts = applied(protectCell(desired()));
  const rest = desired();
  rest.cells = [];
  const p = plan(rest, host(facts), options({ prune: true }));
  assert.ok(active(p).includes(`delete ${CELL}`));
  assert.equal(guards(p), [CELL]);
  const e = p.errors.find((x) => x.code === "guard")!;
  assert.match(e.detail ?? "", "kuke's record keeps");
  assert.match(e.remedy ?? "", `declare ${CELL} again with lifecycle.preventDestroy removed`);
});

t("a protected container removed from its cell's list is refused", () => {
  const d = desired();
  d.cells[0]!.spec.containers[1]!.lifecycle = { preventDestroy: true };
  const facts = applied(d);
  const p = plan(desired({}, false), host(facts), options());
  assert.equal(guards(p), [SIDE]);
});

t("destroy of a declared protected resource is refused; the files decide over the record", () => {
  const facts = applied(protectCell(desired()));
  assert.equal(guards(plan(protectCell(desired()), host(facts), options({ destroy: true }))), [CELL]);
  // Declared without preventDestroy: the files win (as Terraform), so one apply can lift it.
  assert.equal(guards(plan(desired(), host(facts), options({ destroy: true }))), []);
  assert.equal(guards(plan(desired({ image: "app:2" }), host(facts), options())), []);
});

t("kuke delete (planRemoval) respects the recorded preventDestroy, inside a cascade too", () => {
  const facts = applied(protectCell(desired()));
  const p = planRemoval(host(facts), { target: addr(CELL), cascade: false, now: "2026-01-01T00:00:00.000Z" });
  assert.equal(guards(p), [CELL]);
  const realm = planRemoval(host(facts), {
    target: addr("realm/main"),
    cascade: true,
    now: "2026-01-01T00:00:00.000Z",
  });
  assert.equal(guards(realm), [CELL]);
});

t("a lifecycle change alone is a records-only update", () => {
  const facts = applied(desired());
  const p = plan(protectCell(desired()), host(facts), options());
  assert.equal(active(p), [`update ${CELL}`]);
  const c = p.changes.find((x) => x.address === CELL)!;
  assert.equal(c.changedPaths, ["lifecycle.preventDestroy"]);
  assert.is(c.effect, "none");
  assert.not.ok(c.restarts);
  const steps = planToSteps(p, protectCell(desired()), host(facts));
  assert.equal(
    steps.map((s) => s.kind),
    ["record.write"],
  );
  assert.equal((steps[0] as RecordWriteStep).view.lifecycle, { preventDestroy: true });
});

t("lifecycle stays out of the spec hash: adding it never looks like a changed container", () => {
  const facts = applied(desired());
  const d = desired({ lifecycle: { preventDestroy: true } });
  const before = indexDesired(desired(), host(facts)).get(APP)!.view.spec;
  const after = indexDesired(d, host(facts)).get(APP)!.view.spec;
  assert.equal(after, before);
  const p = plan(d, host(facts), options());
  assert.equal(active(p), [`update ${APP}`]);
  assert.equal(p.drift, []);
});

t("ignoreChanges: an ignored field is neither diffed nor applied, and the plan says so", () => {
  const d = desired();
  d.cells[0]!.spec.containers[1]!.lifecycle = { ignoreChanges: ["spec.image"] };
  const facts = applied(d);
  const next = structuredClone(d);
  next.cells[0]!.spec.containers[1]!.image = "side:2";
  const p = plan(next, host(facts), options());
  assert.equal(active(p), []);
  const c = p.changes.find((x) => x.address === SIDE)!;
  assert.equal(c.ignoredPaths, ["spec.image"]);
  assert.is((c.after!.spec as { image: string }).image, "side:1");
  // Another change goes through, still with the recorded image.
  next.cells[0]!.spec.containers[1]!.env = ["A=1"];
  const q = plan(next, host(facts), options());
  assert.equal(active(q), [`update ${SIDE}`]);
  const u = q.changes.find((x) => x.address === SIDE)!;
  assert.equal(u.changedPaths, ["spec.env"]);
  assert.equal(u.ignoredPaths, ["spec.image"]);
  const write = planToSteps(q, next, host(facts)).find(
    (s): s is RecordWriteStep => s.kind === "record.write" && s.address === SIDE,
  )!;
  assert.is((write.view.spec as { image: string }).image, "side:1");
  assert.equal((write.view.spec as { env: string[] }).env, ["A=1"]);
});

t("ignoring spec.image keeps the recorded digest too: a moved tag is not a change", () => {
  const d = desired();
  d.cells[0]!.spec.containers[1]!.lifecycle = { ignoreChanges: ["spec.image"] };
  const [a, b] = [`sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`];
  const facts: HostFacts = applied(d);
  facts.records[SIDE]!.view.spec.imageDigest = a;
  const without = plan(d, host({ ...facts, imageDigests: { [SIDE]: { digest: b, present: true } } }), options());
  const c = without.changes.find((x) => x.address === SIDE)!;
  assert.is(c.action, "noop", JSON.stringify(c.changedPaths));
  assert.is((c.after!.spec as { imageDigest?: string }).imageDigest, a);
  // Without ignoreChanges the moved tag replaces the container.
  const plain = desired();
  const f2: HostFacts = applied(plain);
  f2.records[SIDE]!.view.spec.imageDigest = a;
  const moved = plan(plain, host({ ...f2, imageDigests: { [SIDE]: { digest: b, present: true } } }), options());
  assert.is(moved.changes.find((x) => x.address === SIDE)!.action, "replace");
});

t("ignoreChanges on a root field keeps the cell; labels can be ignored by key", () => {
  const d = desired({ lifecycle: { ignoreChanges: ["labels.team", "spec.resources"] } });
  const facts = applied(d);
  const next = desired({
    lifecycle: { ignoreChanges: ["labels.team", "spec.resources"] },
    resources: { pidsLimit: 9 },
  });
  const p = plan(next, host(facts), options());
  assert.equal(active(p), []);
  assert.equal(p.changes.find((x) => x.address === APP)!.ignoredPaths, ["spec.resources"]);
  const cellLabels = protectCell(desired());
  cellLabels.cells[0]!.lifecycle = { ignoreChanges: ["labels.team"] };
  const f2 = applied(cellLabels);
  const relabeled = structuredClone(cellLabels);
  relabeled.cells[0]!.labels = { team: "b", other: "x" };
  const q = plan(relabeled, host(f2), options());
  const cell = q.changes.find((x) => x.address === CELL)!;
  assert.equal(cell.changedPaths, ["labels.other"]);
  assert.equal(cell.ignoredPaths, ["labels.team"]);
});

t("ignoreChanges does nothing to a resource that does not exist yet", () => {
  const d = desired();
  d.cells[0]!.spec.containers[1]!.lifecycle = { ignoreChanges: ["spec.image"] };
  const p = plan(d, actualState(appliedFacts(world({ cells: [] }))), options());
  const c = p.changes.find((x) => x.address === SIDE)!;
  assert.is(c.action, "create");
  assert.is(c.ignoredPaths, undefined);
});

t("imperative verbs keep the recorded lifecycle (their desired state comes from records)", () => {
  const d = protectCell(desired());
  d.cells[0]!.spec.containers[1]!.lifecycle = { ignoreChanges: ["spec.image"] };
  const facts = applied(d);
  const p = plan(desiredFromRecords(host(facts)), host(facts), options());
  assert.equal(active(p), []);
});

t.run();
