/**
 * Soak: `KUKE_SOAK_CYCLES` (default 20) apply/destroy cycles of a two-cell stack through the `kuke`
 * CLI processes, each apply converging (the plan after it has no changes) and each destroy leaving
 * nothing of the realm on the host (the same leak check as the crash tests). Growth shows as a
 * leak in the cycle that made it.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type CrashHost, crashHost } from "./crash-host.js";

const t = suite("faults/soak");
const CYCLES = Number(process.env.KUKE_SOAK_CYCLES ?? "20");
const PER_TEST = 5;
let h: CrashHost;

t.before(async () => {
  h = await crashHost("soak", 2);
});
t.after(async () => {
  await h?.cleanup();
});

const out = (r: { code: number | null; stdout: string; stderr: string }) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

for (let first = 0; first < CYCLES; first += PER_TEST) {
  const last = Math.min(CYCLES, first + PER_TEST);
  t(`cycles ${first + 1}–${last} of ${CYCLES}: apply converges, destroy leaves nothing`, async () => {
    for (let cycle = first + 1; cycle <= last; cycle++) {
      const apply = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
      assert.is(apply.code, 0, `cycle ${cycle}: ${out(apply)}`);
      const plan = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
      assert.is(plan.code, 0, `cycle ${cycle} not converged: ${out(plan)}`);
      const destroy = await h.kuke(["destroy", "--auto-approve", "-f", h.manifest]);
      assert.is(destroy.code, 0, `cycle ${cycle}: ${out(destroy)}`);
      const leaks = await h.leaks();
      assert.equal(leaks, [], `cycle ${cycle} left:\n${leaks.join("\n")}`);
    }
  });
}

t.run();
