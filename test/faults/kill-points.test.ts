/**
 * Crash tests that really crash: `kuke apply` and `kuke destroy` run as separate processes against
 * the test containerd and SIGKILL themselves after their N-th journal line
 * (`KUKE_FAULT_KILL_AT_JOURNAL`), for N spread over the whole apply of a four-cell stack and the
 * whole destroy of it. After each kill the next plan names the interrupted apply (never "changed
 * outside kuke"), ONE `kuke apply` exits 0 and converges (the plan after it has no changes), and
 * after a killed destroy ONE `kuke destroy` exits 0 and leaves nothing of the realm on the host.
 *
 * The kill points are fixed by the journal's length in a calibration run (no timing): trial i kills
 * the apply at line 1 + round(i·(A−2)/(K−1)) of A and the destroy at the matching line of D.
 * `KUKE_FAULT_TRIALS` sets K (default 12, so 24 kill points per run).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type CrashHost, crashHost } from "./crash-host.js";

const t = suite("faults/kill points");
const TRIALS = Number(process.env.KUKE_FAULT_TRIALS ?? "12");
let h: CrashHost;
let applyLines = 0;
let destroyLines = 0;
const tally = { killPoints: 0, convergedInOne: 0, leaks: 0 };

t.before(async () => {
  h = await crashHost("crash", 4);
});
t.after(async () => {
  process.stdout.write(
    `\n  faults: ${tally.killPoints} kill points, ${tally.convergedInOne} converged in one run, ${tally.leaks} leaks\n`,
  );
  await h?.cleanup();
});

const out = (r: { code: number | null; signal: string | null; stdout: string; stderr: string }) =>
  `exit ${r.code} signal ${r.signal}\n${r.stdout}\n${r.stderr}`;

async function applyConverges(): Promise<void> {
  const apply = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(apply.code, 0, out(apply));
  const plan = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
  assert.is(plan.code, 0, `not converged after one apply:\n${out(plan)}`);
}

async function destroyLeavesNothing(): Promise<void> {
  const destroy = await h.kuke(["destroy", "--auto-approve", "-f", h.manifest]);
  assert.is(destroy.code, 0, out(destroy));
  const leaks = await h.leaks();
  tally.leaks += leaks.length;
  assert.equal(leaks, [], `left on the host:\n${leaks.join("\n")}`);
}

t("calibration: a whole apply and a whole destroy, and how long their journals are", async () => {
  await applyConverges();
  applyLines = await h.lastJournalLines();
  await destroyLeavesNothing();
  destroyLines = await h.lastJournalLines();
  assert.ok(applyLines > 40, `apply journal has ${applyLines} lines`);
  assert.ok(destroyLines > 20, `destroy journal has ${destroyLines} lines`);
});

const pointOf = (i: number, lines: number) => 1 + Math.round((i * (lines - 2)) / Math.max(1, TRIALS - 1));

for (let i = 0; i < TRIALS; i++) {
  t(
    `kill point ${i + 1}/${TRIALS}: apply killed, one apply converges; destroy killed, one destroy cleans`,
    async () => {
      const atApply = pointOf(i, applyLines);
      const killed = await h.kuke(["apply", "--auto-approve", "-f", h.manifest], atApply);
      assert.is(killed.signal, "SIGKILL", `apply killed at journal line ${atApply}: ${out(killed)}`);
      tally.killPoints++;
      const plan = await h.kuke(["plan", "-f", h.manifest]);
      assert.match(plan.stdout + plan.stderr, "was interrupted", out(plan));
      assert.not.match(plan.stdout, "outside kuke", `kuke's own half-done work is not drift:\n${out(plan)}`);
      await applyConverges();
      tally.convergedInOne++;

      const atDestroy = pointOf(i, destroyLines);
      const killedDestroy = await h.kuke(["destroy", "--auto-approve", "-f", h.manifest], atDestroy);
      assert.is(killedDestroy.signal, "SIGKILL", `destroy killed at journal line ${atDestroy}: ${out(killedDestroy)}`);
      tally.killPoints++;
      await destroyLeavesNothing();
      tally.convergedInOne++;
    },
  );
}

t.run();
