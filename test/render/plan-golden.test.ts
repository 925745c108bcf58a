import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { plan } from "../../src/planner/plan.js";
import { renderPlanHuman } from "../../src/render/plan-human.js";
import { parsePlanJson, renderPlanJson } from "../../src/render/plan-json.js";
import { assertGolden } from "../harness/golden.js";
import { host } from "../planner/builders.js";
import { SCENARIOS } from "../planner/scenarios.js";

/** Compiled to dist/test/render/, so the repository root is three levels up. */
const GOLDEN_DIR = fileURLToPath(new URL("../../../fixtures/golden/plans/", import.meta.url));

const t = suite("render/plan-golden");

for (const [name, make] of Object.entries(SCENARIOS)) {
  t(`golden plan: ${name}`, () => {
    const s = make();
    const p = plan(s.desired, host(s.facts), s.options);
    const text = renderPlanHuman(p, { color: false });
    assertGolden(text, `${GOLDEN_DIR}${name}.txt`);
    // The human view renders from the plan alone, so a plan read back from JSON renders the same.
    assert.fixture(renderPlanHuman(parsePlanJson(renderPlanJson(p)), { color: false }), text);
  });
}

t("colour is only used when asked for", () => {
  const s = SCENARIOS["env-change"]!();
  const p = plan(s.desired, host(s.facts), s.options);
  assert.not.match(renderPlanHuman(p, { color: false }), "\u001b[");
  assert.match(renderPlanHuman(p, { color: true }), "\u001b[");
});

t("JSON plan is stable and versioned", () => {
  const s = SCENARIOS["create-all"]!();
  const a = renderPlanJson(plan(s.desired, host(s.facts), s.options));
  const b = renderPlanJson(plan(s.desired, host(s.facts), s.options));
  assert.is(a, b);
  assert.is(JSON.parse(a).format_version, "1");
  assert.throws(() => parsePlanJson(JSON.stringify({ format_version: "0" })));
});

t.run();
