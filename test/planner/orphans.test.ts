/**
 * kuke's orphans in containerd (issue 12 item 2): refresh reports them in `HostFacts.orphans`; the
 * plan lists those its apply or destroy is about, attributed to an address and called "left by an
 * interrupted apply", and its steps remove each one (`orphan.remove`) before anything that could
 * trip over it.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ContainerdOrphan, DesiredState, HostFacts } from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import { planToSteps } from "../../src/planner/steps.js";
import type { Plan } from "../../src/planner/types.js";
import { hasChanges } from "../../src/runner/operations/plan.js";
import { addr, appliedFacts, host, options, world } from "./builders.js";
import { app, base, cells, sidecar } from "./scenarios.js";

const NS = "main.kukeon.io";
const snapshot = (id: string, container?: string): ContainerdOrphan => ({
  object: "snapshot",
  namespace: NS,
  id,
  ...(container !== undefined ? { container } : {}),
  why: "no container uses it",
});
const lease: ContainerdOrphan = { object: "lease", namespace: NS, id: "kuke-1-aa", why: "its kuke is gone" };

function run(desired: DesiredState, facts: HostFacts, over: Parameters<typeof options>[0] = {}) {
  const actual = host(facts);
  const p = plan(desired, actual, options(over));
  return { plan: p, steps: planToSteps(p, desired, actual) };
}

const listed = (p: Plan) => (p.orphans ?? []).map((o) => `${o.address} ${o.object} ${o.id}`);

const t = suite("planner/orphans");

t("no orphans: the plan has no orphans part and no changes", () => {
  const desired = world(base());
  const { plan: p, steps } = run(desired, appliedFacts(desired));
  assert.is(p.orphans, undefined);
  assert.is(hasChanges(p), false);
  assert.equal(steps, []);
});

t("apply: the orphans of its realm's namespace are planned, attributed, and removed by orphan.remove", () => {
  const desired = world(base());
  const facts = appliedFacts(desired);
  facts.orphans = [lease, snapshot("web_app_api_gone", "container/main/web/app/api/gone")];
  const { plan: p, steps } = run(desired, facts);
  assert.equal(listed(p), ["realm/main lease kuke-1-aa", "container/main/web/app/api/gone snapshot web_app_api_gone"]);
  assert.ok(p.orphans!.every((o) => o.text.startsWith("left by an interrupted apply: ")));
  assert.is(hasChanges(p), true, "an orphan to remove is a change (apply runs, --detailed-exitcode says 2)");
  assert.equal(
    steps.map((s) => s.id),
    ["orphan.remove:lease:main.kukeon.io:kuke-1-aa", "orphan.remove:snapshot:main.kukeon.io:web_app_api_gone"],
  );
  assert.equal(steps[1], {
    id: "orphan.remove:snapshot:main.kukeon.io:web_app_api_gone",
    kind: "orphan.remove",
    address: "container/main/web/app/api/gone",
    dependsOn: [],
    namespace: NS,
    object: "snapshot",
    orphanId: "web_app_api_gone",
  });
});

t("a container created under an orphan snapshot's key waits for the orphan's removal", () => {
  const before = world(base());
  const desired = world(base({ cells: cells({ api: [app(), sidecar(), { id: "metrics", image: "busybox:1" }] }) }));
  const facts = appliedFacts(before);
  facts.orphans = [snapshot("web_app_api_metrics", "container/main/web/app/api/metrics")];
  const { steps } = run(desired, facts);
  const create = steps.find((s) => s.id === "container.create:container/main/web/app/api/metrics");
  assert.ok(create?.dependsOn.includes("orphan.remove:snapshot:main.kukeon.io:web_app_api_metrics"));
});

t("apply leaves the orphans of namespaces it does not work in, and those of other realms", () => {
  const desired = world(base());
  const facts = appliedFacts(desired);
  facts.orphans = [
    { ...snapshot("x", "container/other/x/y/z/k"), namespace: "other.kukeon.io" },
    { ...lease, namespace: "nobody" },
  ];
  const { plan: p } = run(desired, facts);
  assert.is(p.orphans, undefined);
});

t("destroy of a stack (its realm and space not in the files) removes the orphans of its containers only", () => {
  const desired = world({ ...base(), omit: ["realm", "space"] });
  const facts = appliedFacts(world(base()));
  facts.orphans = [
    lease,
    snapshot("web_app_api_gone", "container/main/web/app/api/gone"),
    snapshot("web_other_c_k", "container/main/web/other/c/k"),
  ];
  const { plan: p, steps } = run(desired, facts, { destroy: true });
  assert.equal(listed(p), ["container/main/web/app/api/gone snapshot web_app_api_gone"]);
  assert.ok(steps.some((s) => s.id === "orphan.remove:snapshot:main.kukeon.io:web_app_api_gone"));
});

t("destroy of the realm removes every orphan of its namespace, before the namespace is deleted", () => {
  const desired = world(base());
  const facts = appliedFacts(desired);
  facts.orphans = [lease, snapshot("web_app_api_gone", "container/main/web/app/api/gone")];
  const { plan: p, steps } = run(desired, facts, { destroy: true });
  assert.equal(listed(p).length, 2);
  const del = steps.find((s) => s.kind === "namespace.delete");
  assert.ok(del);
  for (const o of steps.filter((s) => s.kind === "orphan.remove")) assert.ok(del.dependsOn.includes(o.id), o.id);
});

t("a target keeps only the orphans attributed inside it", () => {
  const desired = world(base());
  const facts = appliedFacts(desired);
  facts.orphans = [lease, snapshot("web_app_api_gone", "container/main/web/app/api/gone")];
  assert.equal(listed(run(desired, facts, { targets: [addr("cell/main/web/app/api")] }).plan), [
    "container/main/web/app/api/gone snapshot web_app_api_gone",
  ]);
  assert.equal(listed(run(desired, facts, { targets: [addr("realm/main")] }).plan).length, 2);
});

t.run();
