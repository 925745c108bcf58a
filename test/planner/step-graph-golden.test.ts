import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { buildGraph } from "../../src/graph/transforms.js";
import type { ActualState, DesiredState } from "../../src/model/index.js";
import { planRemoval, planTaskOps } from "../../src/planner/imperative-plan.js";
import { plan } from "../../src/planner/plan.js";
import type { Step } from "../../src/planner/step-types.js";
import { planToSteps } from "../../src/planner/steps.js";
import type { Plan } from "../../src/planner/types.js";
import { assertGolden } from "../harness/golden.js";
import { addr, appliedFacts, containerOf, emptyFacts, host, options, world } from "./builders.js";
import { app, base, SCENARIOS, sidecar } from "./scenarios.js";

/** Compiled to dist/test/planner/, so the repository root is three levels up. */
const GOLDEN_DIR = fileURLToPath(new URL("../../../fixtures/golden/steps/", import.meta.url));
const NOW = "2026-01-01T00:00:00.000Z";
const EMPTY: DesiredState = { realms: [], spaces: [], stacks: [], cells: [], looseContainers: [] };

/** One line per step (sorted by id), then the steps it directly waits for after reduction. */
export function renderStepGraph(steps: readonly Step[]): string {
  const g = buildGraph(steps);
  const lines: string[] = [];
  for (const id of [...g.nodes()].sort()) {
    lines.push(id);
    for (const d of [...(g.predecessors(id) ?? [])].sort()) lines.push(`  after ${d}`);
  }
  return `${lines.join("\n")}\n`;
}

type Case = () => { plan: Plan; desired: DesiredState; actual: ActualState };

const hostNet = world({
  cells: [{ name: "h", containers: [{ id: "a", image: "busybox:1", hostNetwork: true }, sidecar()] }],
});
const applied = () => appliedFacts(world(base()));

const CASES: Record<string, Case> = {
  ...Object.fromEntries(
    Object.entries(SCENARIOS).map(([name, make]): [string, Case] => [
      name,
      () => {
        const s = make();
        const actual = host(s.facts);
        return { plan: plan(s.desired, actual, s.options), desired: s.desired, actual };
      },
    ]),
  ),
  "host-network-create": () => {
    const actual = host(emptyFacts());
    return { plan: plan(hostNet, actual, options()), desired: hostNet, actual };
  },
  "host-network-destroy": () => {
    const actual = host(appliedFacts(hostNet));
    return { plan: plan(hostNet, actual, options({ destroy: true })), desired: hostNet, actual };
  },
  "host-network-replace": () => {
    const actual = host(appliedFacts(hostNet));
    const p = plan(hostNet, actual, options({ replace: [addr("cell/main/web/app/h")] }));
    return { plan: p, desired: hostNet, actual };
  },
  "workload-added-and-removed": () => {
    const desired = world(base({ cells: [{ name: "api", containers: [app(), { id: "new", image: "busybox:3" }] }] }));
    const actual = host(applied());
    return { plan: plan(desired, actual, options({ prune: true })), desired, actual };
  },
  // The teardown removes the chain; a second egress.remove from the build once waited for itself.
  "space-replaced-egress-removed": () => {
    const before = world(base({ spaceSpec: { network: { egress: { default: "deny", allow: [] } } } }));
    const desired = world(base());
    const actual = host(appliedFacts(before));
    return { plan: plan(desired, actual, options({ replace: [addr("space/main/web")] })), desired, actual };
  },
  "stop-cell": () => {
    const actual = host(applied());
    return {
      plan: planTaskOps(actual, { op: "stop", target: addr("cell/main/web/app/api"), now: NOW }),
      desired: EMPTY,
      actual,
    };
  },
  "kill-cell": () => {
    const actual = host(applied());
    return {
      plan: planTaskOps(actual, { op: "kill", target: addr("cell/main/web/app/api"), now: NOW }),
      desired: EMPTY,
      actual,
    };
  },
  "start-cell": () => {
    const facts = applied();
    for (const k of ["app", "sidecar"]) {
      containerOf(facts, `container/main/web/app/api/${k}`).task = { status: "stopped", exitCode: 0 };
    }
    const actual = host(facts);
    return {
      plan: planTaskOps(actual, { op: "start", target: addr("cell/main/web/app/api"), now: NOW }),
      desired: EMPTY,
      actual,
    };
  },
  "delete-stack-cascade": () => {
    const actual = host(applied());
    return {
      plan: planRemoval(actual, { target: addr("stack/main/web/app"), cascade: true, now: NOW }),
      desired: EMPTY,
      actual,
    };
  },
};

const t = suite("planner/step-graph-golden");

for (const [name, make] of Object.entries(CASES)) {
  const c = make();
  if (c.plan.errors.some((e) => e.severity === "error")) continue;
  t(`golden step graph: ${name}`, () => {
    const text = renderStepGraph(planToSteps(c.plan, c.desired, c.actual));
    assertGolden(text, `${GOLDEN_DIR}${name}.txt`);
  });
}

t("the rendering leaves out implied edges and keeps the rest", () => {
  const s = (id: string, ...dependsOn: string[]) => ({ id, dependsOn }) as unknown as Step;
  assert.is(renderStepGraph([s("a"), s("b", "a"), s("c", "a", "b")]), "a\nb\n  after a\nc\n  after b\n");
});

t.run();
