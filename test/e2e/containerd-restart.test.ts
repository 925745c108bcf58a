/**
 * containerd killed (SIGKILL) and started again while `kuke apply` runs as its own process, on a
 * daemon of this suite's own. Back within the retry budget (`KUKE_CONTAINERD_RETRY_TIMEOUT`), the
 * interrupted apply itself rides it out: it exits 0 and the host matches the files (the plan after
 * it has no changes), wherever in the apply the restart fell; destroy then leaves nothing behind.
 * Away longer than the budget, the apply stops with exit 3 naming containerd's socket, the wait and
 * the remedy, and ONE apply after containerd is back converges.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startContainerd, type TestContainerd } from "../harness/containerd.js";
import { KukeProcess } from "../harness/kuke-process.js";
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

/** Where in the apply containerd is restarted: a create, a task start, a network attach. */
const RESTART_POINTS = ["container.create", "task.start", "cni.attach"] as const;

for (const point of RESTART_POINTS) {
  t(
    `containerd restarted at the first ${point} of an apply: that apply exits 0, the host matches; destroy leaves 0 objects`,
    async () => {
      // Plain progress: a failure report carries each error's detail (containerd's own words).
      const p = new KukeProcess(["apply", "--auto-approve", "-f", h.manifest], h.env);
      await p.waitForLine((l) => l.includes(`… [${point}]`));
      await ctd.restart(1500);
      const r = await p.exited;
      assert.is(r.code, 0, `the apply containerd restarted under: exit ${r.code}\n${r.stdout}${r.stderr}`);
      const plan = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
      assert.is(plan.code, 0, `the interrupted apply left the host matching the files: ${plan.stdout}${plan.stderr}`);
      await convergesAndCleans();
    },
  );
}

t(
  "containerd away longer than KUKE_CONTAINERD_RETRY_TIMEOUT: exit 3 naming the socket, the wait and a remedy; then one apply converges",
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
    assert.match(out, `containerd at ${ctd.address} answered earlier in this run`, out);
    assert.match(out, "Remedy: check that containerd runs again", out);
    assert.match(out, "then run the same kuke command again", out);
    assert.not.match(out, "this is a bug", out);
    await convergesAndCleans();
  },
);

t.run();
