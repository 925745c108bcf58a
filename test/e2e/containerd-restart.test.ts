/**
 * containerd killed (SIGKILL) and started again while `kuke apply` runs as its own process, on a
 * daemon of this suite's own: the apply rides it out through retries (exit 0) or stops cleanly
 * (exit 3, never "this is a bug"); then ONE apply converges and destroy leaves nothing behind. And
 * when containerd stays away longer than the retry budget, the error says what, how long, and what
 * to do.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startContainerd, type TestContainerd } from "../harness/containerd.js";
import { KukeProcess, stepStarted } from "../harness/kuke-process.js";
import { onTeardown } from "../harness/teardown.js";
import { type StackHost, stackHost } from "./stack-host.js";
import { stackLeaks } from "./stack-leaks.js";

const t = suite("e2e/containerd-restart");
let ctd: TestContainerd;
let h: StackHost;

t.before(async () => {
  ctd = await startContainerd();
  onTeardown("containerd of e2e/containerd-restart", () => ctd.stop());
  h = await stackHost({ containerd: ctd });
});
t.after(async () => {
  await h?.cleanup();
  await ctd?.stop();
});

async function convergesAndCleans(): Promise<void> {
  const again = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(again.code, 0, `the first apply after the restart: ${again.stdout}${again.stderr}`);
  const plan = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
  assert.is(plan.code, 0, `one apply converged: ${plan.stdout}${plan.stderr}`);
  const down = await h.kuke(["destroy", "--auto-approve", "-f", h.manifest]);
  assert.is(down.code, 0, down.stdout + down.stderr);
  // A lease a create took before containerd went away is kuke's orphan: apply or destroy removes it.
  assert.equal(await stackLeaks(h), []);
}

t(
  "containerd restarted during an apply: the apply completes or exits 3 cleanly; one apply converges; destroy leaves 0 objects",
  async () => {
    const p = new KukeProcess(["apply", "--auto-approve", "--progress", "json", "-f", h.manifest], h.env);
    await p.waitForLine(stepStarted("task.start"));
    await ctd.restart(1500);
    const r = await p.exited;
    assert.ok(r.code === 0 || r.code === 3, `exit ${r.code}\n${r.stdout}${r.stderr}`);
    assert.not.match(r.stdout + r.stderr, "this is a bug");
    process.stdout.write(`  containerd restart mid-apply: the apply exited ${r.code}\n`);
    await convergesAndCleans();
  },
);

t(
  "containerd away longer than KUKE_CONTAINERD_RETRY_TIMEOUT: exit 3 naming the wait and a remedy; then one apply converges",
  async () => {
    // Plain progress: the human failure report carries each error's detail and remedy.
    const p = new KukeProcess(["apply", "--auto-approve", "-f", h.manifest], {
      ...h.env,
      KUKE_CONTAINERD_RETRY_TIMEOUT: "1s",
    });
    await p.waitForLine((l) => l.includes("… [task.start]"));
    await ctd.restart(4000);
    const r = await p.exited;
    const out = r.stdout + r.stderr;
    assert.is(r.code, 3, out);
    assert.match(out, /containerd did not come back within \d+\.\d s/, out);
    assert.match(out, /attempts over \d+\.\d s/, out);
    assert.match(out, "Remedy: check that containerd runs again", out);
    assert.not.match(out, "this is a bug", out);
    await convergesAndCleans();
  },
);

t.run();
