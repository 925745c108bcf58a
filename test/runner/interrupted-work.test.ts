/**
 * A plan made after an interrupted apply: drift on what that apply was working on is its own
 * half-done work ("left by an interrupted apply"), never "changed outside kuke"; drift elsewhere
 * stays what it is.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Plan } from "../../src/planner/types.js";
import { renderPlanHuman } from "../../src/render/plan-human.js";
import { markInterruptedWork } from "../../src/runner/planning.js";

const t = suite("runner/interrupted work");

const CELL = "cell/r/s/t/c1";
const MAIN = "container/r/s/t/c1/main";
const OTHER = "container/r/s/t/c2/main";

function plan(): Plan {
  const change = (address: string, text: string) =>
    ({
      address,
      kind: "container",
      action: "replace",
      effect: "none",
      before: null,
      after: null,
      changedPaths: [],
      fieldEffects: [],
      reason: { kind: "drift", text: `drift: ${text}` },
      sensitivePaths: [],
      knownAfterApply: [],
    }) as unknown as Plan["changes"][number];
  return {
    format_version: "1",
    created: "2026-12-03T00:00:00.000Z",
    options: {} as Plan["options"],
    changes: [change(MAIN, "task missing"), change(OTHER, "task exited with code 137 outside kuke")],
    drift: [
      { address: CELL, kind: "left-behind", text: "left behind by an interrupted apply" },
      { address: MAIN, kind: "task-exited", text: "task missing" },
      { address: OTHER, kind: "task-exited", text: "task exited with code 137 outside kuke" },
    ],
    notInConfiguration: [],
    errors: [],
    fingerprints: {},
    summary: { add: 0, change: 0, replace: 2, destroy: 0 },
  };
}

t("drift on an address the interrupted apply touched is marked, reworded, and listed apart", () => {
  const p = plan();
  markInterruptedWork(p, new Set([MAIN]));
  assert.equal(
    p.drift.map((d) => [d.address, d.text, d.interrupted ?? false]),
    [
      [CELL, "left behind by an interrupted apply", true],
      [MAIN, "task missing (left by an interrupted apply)", true],
      [OTHER, "task exited with code 137 outside kuke", false],
    ],
  );
  assert.is(p.changes[0]?.reason?.text, "drift: task missing (left by an interrupted apply)");
  assert.is(p.changes[1]?.reason?.text, "drift: task exited with code 137 outside kuke");
  const text = renderPlanHuman(p, { color: false });
  const left = text.indexOf("Left by an interrupted apply");
  const outside = text.indexOf("Objects changed outside kuke");
  assert.ok(left >= 0 && outside > left, text);
  assert.not.match(text.slice(outside, text.indexOf("kuke will perform")), MAIN);
});

t("a touched container marks drift on its cell, and 'outside kuke' goes from the text", () => {
  const p = plan();
  p.drift[0] = { address: CELL, kind: "attachment-missing", text: "CNI attachment missing" };
  markInterruptedWork(p, new Set([MAIN, OTHER]));
  assert.ok(p.drift.every((d) => d.interrupted === true));
  assert.is(p.drift[2]?.text, "task exited with code 137 (left by an interrupted apply)");
  assert.not.match(renderPlanHuman(p, { color: false }), "outside kuke");
});

t("nothing touched: nothing marked (only a left-behind item is kuke's by its kind)", () => {
  const p = plan();
  markInterruptedWork(p, new Set());
  assert.ok(p.drift.every((d) => d.interrupted === undefined));
  const text = renderPlanHuman(p, { color: false });
  assert.match(text, "Left by an interrupted apply");
  assert.match(text, "Objects changed outside kuke");
});

t.run();
