/**
 * A kill at the very start of an apply: `kuke apply` (its own process) SIGKILLed right after its
 * journal's opening line (`KUKE_FAULT_KILL_AT_JOURNAL=1`), before any step started. The opening
 * line is written before the first host change, so the next plan still says the last apply was
 * interrupted, and ONE apply converges. And when that apply was itself repairing an earlier killed
 * one (the earlier journal it closes as superseded), the next plan still calls the earlier apply's
 * half-done work "left by an interrupted apply", never "outside kuke": the opening line carries
 * what the superseded journals had touched.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type CrashHost, crashHost } from "./crash-host.js";

const t = suite("faults/kill at begin");
let h: CrashHost;
let applyLines = 0;

t.before(async () => {
  h = await crashHost("begin", 2);
});
t.after(async () => {
  await h?.cleanup();
});

const out = (r: { code: number | null; signal: string | null; stdout: string; stderr: string }) =>
  `exit ${r.code} signal ${r.signal}\n${r.stdout}\n${r.stderr}`;

async function killedAt(line: number): Promise<void> {
  const killed = await h.kuke(["apply", "--auto-approve", "-f", h.manifest], line);
  assert.is(killed.signal, "SIGKILL", `apply killed at journal line ${line}: ${out(killed)}`);
}

async function planSaysInterrupted(): Promise<string> {
  const plan = await h.kuke(["plan", "-f", h.manifest]);
  assert.match(plan.stdout + plan.stderr, "was interrupted", out(plan));
  assert.not.match(plan.stdout, "outside kuke", `kuke's own half-done work is not drift:\n${out(plan)}`);
  return plan.stdout + plan.stderr;
}

async function convergesAndCleans(): Promise<void> {
  const apply = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(apply.code, 0, out(apply));
  const plan = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
  assert.is(plan.code, 0, `not converged after one apply:\n${out(plan)}`);
  const destroy = await h.kuke(["destroy", "--auto-approve", "-f", h.manifest]);
  assert.is(destroy.code, 0, out(destroy));
  assert.equal(await h.leaks(), []);
}

t("calibration: a whole apply, and how long its journal is", async () => {
  await convergesAndCleans();
  const apply = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(apply.code, 0, out(apply));
  applyLines = await h.lastJournalLines();
  const destroy = await h.kuke(["destroy", "--auto-approve", "-f", h.manifest]);
  assert.is(destroy.code, 0, out(destroy));
  assert.ok(applyLines > 20, `apply journal has ${applyLines} lines`);
});

t(
  "killed right after the opening line on an empty host: the next plan names the interrupted apply; one apply converges",
  async () => {
    await killedAt(1);
    assert.is(await h.lastJournalLines(), 1, "the opening line is all the killed apply wrote");
    const plan = await planSaysInterrupted();
    assert.match(plan, "It had started no step", plan);
    await convergesAndCleans();
  },
);

t(
  "killed mid-apply, then the repairing apply killed right after its opening line: the first one's work is still 'left by an interrupted apply'; one apply converges",
  async () => {
    await killedAt(Math.round(applyLines / 2));
    const first = await planSaysInterrupted();
    assert.match(first, "by an interrupted apply", `the half-done apply left drift to repair:\n${first}`);
    await killedAt(1);
    const second = await planSaysInterrupted();
    assert.match(second, "by an interrupted apply", second);
    await convergesAndCleans();
  },
);

t.run();
