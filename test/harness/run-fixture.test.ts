/**
 * Suites that misbehave on purpose, for test/harness/run.test.ts, which runs them in a child test
 * runner with `KUKE_RUN_FIXTURE` set. In a normal run (variable unset) this file registers nothing.
 */
import { writeFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { onTeardown } from "./teardown.js";

const mode = process.env.KUKE_RUN_FIXTURE;
const marker = process.env.KUKE_RUN_FIXTURE_MARKER;
const never = () => new Promise<void>(() => setInterval(() => {}, 60_000));

if (mode !== undefined) {
  // Every mode registers a teardown that leaves a mark, so the parent can see it ran.
  onTeardown("fixture marker", () => {
    if (marker) writeFileSync(marker, "teardown ran\n");
  });

  if (mode === "hooks") {
    const b = suite("fixture/before-throws");
    b.before(() => {
      throw new Error("boom in before hook");
    });
    b("never runs", () => {});
    b.run();

    const a = suite("fixture/after-throws");
    a("passes", () => {});
    a.after(() => {
      throw new Error("boom in after hook");
    });
    a.run();

    const later = suite("fixture/later");
    later("still runs after a failed after hook", () => {});
    later.run();
  }

  if (mode === "block") {
    const b = suite("fixture/block");
    b("blocks the event loop", () => {
      for (;;) {
        // a synchronous endless loop: no timer of this thread can fire again
      }
    });
    b.run();
  }

  if (mode === "hang") {
    const h = suite("fixture/hang");
    h("hangs", never);
    h("runs after the hang", () => assert.ok(true));
    h.run();
  }
}
