/**
 * `kuke schema plan`: every plan the golden files are made of (each planning scenario, and the
 * imperative plans of start/stop/kill and delete) is valid against the schema by a JSON Schema
 * library, and the schema is precise: it refuses what the format does not allow.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { planRemoval, planTaskOps } from "../../src/planner/imperative-plan.js";
import { plan } from "../../src/planner/plan.js";
import type { Plan } from "../../src/planner/types.js";
import { renderPlanJson } from "../../src/render/plan-json.js";
import { planJsonSchema } from "../../src/render/plan-schema.js";
import { compileSchema } from "../harness/json-schema.js";
import { addr, appliedFacts, containerOf, host, world } from "../planner/builders.js";
import { base, SCENARIOS } from "../planner/scenarios.js";

const t = suite("render/plan-schema");
const check = compileSchema(planJsonSchema());
const NOW = "2026-01-01T00:00:00.000Z";

/** A plan as a program reads it: the JSON text `kuke plan -o json` prints. */
const asJson = (p: Plan): Record<string, unknown> => JSON.parse(renderPlanJson(p));

const PLANS: Record<string, () => Plan> = {
  ...Object.fromEntries(
    Object.entries(SCENARIOS).map(([name, make]): [string, () => Plan] => [
      name,
      () => {
        const s = make();
        return plan(s.desired, host(s.facts), s.options);
      },
    ]),
  ),
  "stop-cell": () =>
    planTaskOps(host(appliedFacts(world(base()))), { op: "stop", target: addr("cell/main/web/app/api"), now: NOW }),
  "kill-cell": () =>
    planTaskOps(host(appliedFacts(world(base()))), { op: "kill", target: addr("cell/main/web/app/api"), now: NOW }),
  "start-cell": () => {
    const facts = appliedFacts(world(base()));
    containerOf(facts, "container/main/web/app/api/app").task = { status: "stopped", exitCode: 0 };
    return planTaskOps(host(facts), { op: "start", target: addr("cell/main/web/app/api"), now: NOW });
  },
  "delete-stack-cascade": () =>
    planRemoval(host(appliedFacts(world(base()))), { target: addr("stack/main/web/app"), cascade: true, now: NOW }),
  "delete-missing": () =>
    planRemoval(host(appliedFacts(world(base()))), {
      target: addr("cell/main/web/app/nope"),
      cascade: false,
      now: NOW,
    }),
};

for (const [name, make] of Object.entries(PLANS)) {
  t(`the JSON plan of ${name} is valid against kuke schema plan`, () => {
    assert.ok(check(asJson(make())), check.errors().join("\n"));
  });
}

t("the plans checked cover every optional part of the format", () => {
  const plans = Object.values(PLANS).map((make) => asJson(make()));
  const has = (f: (p: Record<string, unknown>) => boolean) => plans.some(f);
  assert.ok(has((p) => Array.isArray(p.tasks) && p.tasks.some((x: { signal?: number }) => x.signal !== undefined)));
  assert.ok(has((p) => Array.isArray(p.runStates) && p.runStates.length > 0));
  assert.ok(has((p) => (p.errors as unknown[]).length > 0));
  assert.ok(has((p) => (p.drift as unknown[]).length > 0));
  assert.ok(has((p) => (p.changes as { reason?: unknown }[]).some((c) => c.reason !== undefined)));
  assert.ok(
    has((p) =>
      (p.changes as { before: { computed?: unknown } | null }[]).some((c) => c.before?.computed !== undefined),
    ),
  );
  type Change = { ignoredPaths?: string[]; after: { lifecycle?: unknown } | null };
  assert.ok(has((p) => (p.changes as Change[]).some((c) => (c.ignoredPaths?.length ?? 0) > 0)));
  assert.ok(has((p) => (p.changes as Change[]).some((c) => c.after?.lifecycle !== undefined)));
});

t("the schema refuses what the format does not allow", () => {
  const s = SCENARIOS.prune!();
  const good = plan(s.desired, host(s.facts), s.options);
  assert.ok(check(asJson(good)), check.errors().join("\n"));
  const loose = (x: object) => x as Record<string, unknown>;
  const first = (p: Plan) => p.changes[0]!;
  const variants: [string, (p: Plan) => void][] = [
    ["another format_version", (p) => (loose(p).format_version = "2")],
    ["an unknown top-level field", (p) => (loose(p).extra = true)],
    ["a missing summary", (p) => delete loose(p).summary],
    ["an unknown action", (p) => (loose(first(p)).action = "rename")],
    ["an unknown effect", (p) => (loose(first(p)).effect = "reboot")],
    ["an unknown reason kind", (p) => (loose(p.changes.find((c) => c.reason)!.reason!).kind = "whim")],
    ["an unknown field in a change", (p) => (loose(first(p)).note = "x")],
    ["a label that is not a string", (p) => (loose(p.changes.find((c) => c.before)!.before!.labels).x = 1)],
    ["a negative count", (p) => (p.summary.add = -1)],
    ["an unknown resource kind", (p) => (loose(first(p)).kind = "pod")],
    [
      "an unknown drift kind",
      (p) => p.drift.push({ address: "realm/x", kind: "gremlins" as "left-behind", text: "?" }),
    ],
    ["an option missing", (p) => delete loose(p.options).prune],
  ];
  for (const [what, mutate] of variants) {
    const p = asJson(good) as unknown as Plan;
    mutate(p);
    assert.not.ok(check(p), `accepted ${what}`);
  }
});

t.run();
