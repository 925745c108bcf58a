/**
 * Planner rules that keep plan and apply in agreement: prune never takes an ancestor of what the
 * files declare, a live limit change reaches the container's spec, --target on a new cell plans
 * what apply builds, and a --target that names nothing is refused.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type HostFacts, LABELS } from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import type { Step } from "../../src/planner/step-types.js";
import { planToSteps } from "../../src/planner/steps.js";
import type { Plan } from "../../src/planner/types.js";
import { addr, appliedFacts, containerOf, emptyFacts, host, options, world } from "./builders.js";
import { app, base, cells, sidecar } from "./scenarios.js";

const active = (p: Plan) => p.changes.filter((c) => c.action !== "noop").map((c) => `${c.action} ${c.address}`);

/** What the host looks like after `steps` succeeded: records written, container labels as created/updated. */
function simulateApply(facts: HostFacts, steps: Step[]): HostFacts {
  const out = structuredClone(facts);
  for (const s of steps) {
    if (s.kind === "record.write") {
      const old = out.records[s.address];
      out.records[s.address] = {
        address: s.address,
        kind: s.address.slice(0, s.address.indexOf("/")) as never,
        project: s.project,
        view: s.view,
        specHash: s.specHash,
        extra: old?.extra ?? {},
      };
    } else if (s.kind === "container.update") {
      containerOf(out, s.address).labels = { ...s.labels };
    }
  }
  return out;
}

const t = suite("planner/review-fixes");

t("--prune from a second file never deletes the parents of what it declares", () => {
  const facts = appliedFacts(world(base({ cells: [{ name: "old", containers: [sidecar()] }] })));
  // A second file for the same realm: only a new cell, parents already on the host.
  const second = world({ cells: [{ name: "fresh", containers: [app()] }], omit: ["realm", "space", "stack"] });
  const p = plan(second, host(facts), options({ prune: true }));
  assert.equal(p.errors, []);
  assert.equal(active(p), [
    "create cell/main/web/app/fresh",
    "create container/main/web/app/fresh/app",
    "create container/main/web/app/fresh/root",
    "delete cell/main/web/app/old",
    "delete container/main/web/app/old/root",
    "delete container/main/web/app/old/sidecar",
  ]);
  const steps = planToSteps(p, second, host(facts));
  assert.not.ok(
    steps.some(
      (s) => s.kind !== "image.ensure" && ["realm/main", "space/main/web", "stack/main/web/app"].includes(s.address),
    ),
    "no step touches a parent (images are pulled into the realm's namespace)",
  );
  // The parents are in use, so they are not "not in configuration" either.
  const kept = plan(second, host(facts), options());
  assert.equal(kept.notInConfiguration, ["cell/main/web/app/old"]);
});

t("a live limit change updates the container's spec too, so the next plan is empty", () => {
  const before = world(base());
  const facts = appliedFacts(before);
  const now = world(base({ cells: cells({ api: [app({ resources: { memoryLimitBytes: 134217728 } }), sidecar()] }) }));
  const p = plan(now, host(facts), options());
  assert.equal(active(p), ["update container/main/web/app/api/app"]);
  const steps = planToSteps(p, now, host(facts));
  const kinds = steps.filter((s) => s.address === "container/main/web/app/api/app").map((s) => s.kind);
  assert.equal(kinds.sort(), ["cgroup.update", "container.update", "record.write"]);
  const upd = steps.find((s) => s.kind === "container.update");
  assert.is(upd?.kind === "container.update" && upd.spec.resources.memoryLimitBytes, 134217728);
  const record = steps.find((s) => s.kind === "record.write")!;
  assert.is(
    upd?.kind === "container.update" && upd.labels[LABELS.specHash],
    record.kind === "record.write" && record.specHash,
  );
  const next = plan(now, host(simulateApply(facts, steps)), options());
  assert.equal(active(next), []);
  assert.equal(next.drift, []);
});

t("--target on one container of a new cell plans exactly what apply builds", () => {
  const desired = world(base());
  const p = plan(desired, host(emptyFacts()), options({ targets: [addr("container/main/web/app/api/app")] }));
  const steps = planToSteps(p, desired, host(emptyFacts()));
  const built = [...new Set(steps.filter((s) => s.kind === "record.write").map((s) => s.address))].sort();
  const planned = p.changes
    .filter((c) => c.action === "create")
    .map((c) => c.address)
    .sort();
  assert.equal(planned, built);
  assert.ok(planned.includes("container/main/web/app/api/root"), "the root is always created with its cell");
  assert.ok(planned.includes("container/main/web/app/api/sidecar"), "the cell is created whole");
  assert.not.ok(
    planned.some((k) => k.includes("/db")),
    "other cells stay out",
  );
});

t("a --target that names nothing declared or applied is an error, and pulls in no ancestors", () => {
  const desired = world(base());
  const p = plan(desired, host(emptyFacts()), options({ targets: [addr("cell/main/web/app/nope")] }));
  assert.equal(active(p), []);
  const e = p.errors.find((x) => x.address === "cell/main/web/app/nope");
  assert.is(e?.severity, "error");
  assert.is(e?.code, "usage");
  assert.ok(e?.remedy);
  // A target that names something recorded but no longer declared is fine.
  const facts = appliedFacts(world(base({ cells: [...cells(), { name: "old", containers: [sidecar()] }] })));
  const q = plan(desired, host(facts), options({ prune: true, targets: [addr("cell/main/web/app/old")] }));
  assert.equal(q.errors, []);
  assert.ok(active(q).includes("delete cell/main/web/app/old"));
});

t.run();
