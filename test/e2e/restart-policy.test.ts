/**
 * Restart policies on the real host (issue 10): containerd's restart monitor (the harness daemon
 * checks every second) brings a killed `always` workload back in its cell's network namespace and
 * cgroup, with its log continued and the next plan empty; a finished `no` job stays finished across
 * applies; an `on-failure` job that exited 0 stays exited; `kuke stop` and `kuke kill` are not
 * fought by the monitor, and a policy change is live. The tests share one applied stack, in order.
 */
import { readFile, stat } from "node:fs/promises";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { NetworkExecutor } from "../../src/executors/cni/index.js";
import { cellAddress, cgroupPath, RESTART_LABELS } from "../../src/model/index.js";
import { SPACE, STACK, type StackHost, stackHost, waitFor } from "./stack-host.js";

const t = suite("e2e/restart-policy");
let h: StackHost;

/** One more cell for the example stack: a service and two one-shot jobs. */
const JOBS_CELL = `---
apiVersion: v1beta1
kind: Cell
metadata:
  name: jobs
spec:
  realmId: REALM
  spaceId: apps
  stackId: shop
  containers:
    - id: svc
      image: docker.io/library/busybox:latest
      command: /bin/sh
      args: [-c, "echo boot; exec sleep 3600"]
      restartPolicy: always
    - id: once
      image: docker.io/library/busybox:latest
      command: /bin/sh
      args: [-c, "echo done"]
      restartPolicy: "no"
    - id: okjob
      image: docker.io/library/busybox:latest
      command: /bin/sh
      args: [-c, "echo ok; exit 0"]
      restartPolicy: on-failure
`;

/** How long a monitored task may take to come back: the harness's 1 s interval plus a wide margin for a loaded machine. */
const RESTART_WITHIN_MS = 20_000;

const withJobs = (edit: (text: string) => string = (x) => x) =>
  h.writeManifest((text) => edit(`${text}${JOBS_CELL.replace("REALM", h.realm)}`));
const addr = (container: string) => `container/${h.realm}/${SPACE}/${STACK}/jobs/${container}`;
const scope = () => ["--realm", h.realm, "--space", SPACE, "--stack", STACK, "--cell", "jobs"];

async function task(container: string) {
  const c = (await h.containers()).get(h.idOf("jobs", container));
  assert.ok(c, `no container jobs/${container}`);
  return c;
}

async function planExit(): Promise<{ code: number; out: string }> {
  const r = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
  return { code: r.code, out: r.stdout + r.stderr };
}

async function logOf(container: string): Promise<string> {
  const r = await h.kuke(["logs", addr(container)]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout;
}

async function cellIp(): Promise<string> {
  const r = await h.kuke(["get", "cells", "jobs", "--realm", h.realm, "-o", "json"]);
  assert.is(r.code, 0, r.stderr);
  return String((JSON.parse(r.stdout) as { items: { status: { ip?: string } }[] }).items[0]?.status.ip);
}

const stopped = async (container: string) => (await task(container)).status === "stopped";

t.before(async () => {
  h = await stackHost();
  await withJobs();
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  if (r.code !== 0) throw new Error(`apply failed: ${r.stdout}${r.stderr}`);
});
t.after(async () => {
  await h?.cleanup();
  // stackHost's cleanup knows the example's cells only.
  if (h) {
    const net = new NetworkExecutor({ runPath: h.env.KUKE_RUN_PATH, runtimeDir: h.env.KUKE_RUNTIME_DIR });
    const jobs = cellAddress(h.realm, SPACE, STACK, "jobs");
    await net.detach(jobs).catch(() => undefined);
    await net.unpin(jobs).catch(() => undefined);
  }
});

t("an 'always' workload is handed to the monitor once started; one-shot jobs are not", async () => {
  const svc = await task("svc");
  assert.is(svc.labels[RESTART_LABELS.status], "running");
  assert.is(svc.labels[RESTART_LABELS.policy], "always");
  assert.match(
    svc.labels[RESTART_LABELS.logUri] ?? "",
    /^binary:\/\/\/.*\/libexec\/kuke-log\?log=%2F.*%2Fjobs%2Fsvc\.log$/,
  );
  assert.is((await task("once")).labels[RESTART_LABELS.status], undefined);
  // containerd 1.6 restarts any exit, so on-failure is not given to it (README: restart policies).
  assert.is((await task("okjob")).labels[RESTART_LABELS.status], undefined);
  assert.is((await task("root")).labels[RESTART_LABELS.status], undefined);
});

t(
  "a killed 'always' workload runs again in the same netns, IP and cgroup; its log continues; the next plan is empty",
  async () => {
    const before = await task("svc");
    const pid = before.pid as number;
    const netns = (await stat(`/proc/${pid}/ns/net`)).ino;
    const ip = await cellIp();
    await waitFor("svc's first log line", async () => (await logOf("svc")).includes("boot"));
    process.kill(pid, "SIGKILL");
    await waitFor(
      "svc to run again",
      async () => {
        const c = await task("svc");
        return c.status === "running" && c.pid !== undefined && c.pid !== pid;
      },
      RESTART_WITHIN_MS,
    );
    const again = (await task("svc")).pid as number;
    const pin = new NetworkExecutor({
      runPath: h.env.KUKE_RUN_PATH,
      runtimeDir: h.env.KUKE_RUNTIME_DIR,
    }).pinner.pathOf(cellAddress(h.realm, SPACE, STACK, "jobs"));
    assert.is((await stat(`/proc/${again}/ns/net`)).ino, netns, "same network namespace");
    assert.is((await stat(pin)).ino, netns, "the cell's pinned namespace");
    assert.is(await cellIp(), ip);
    const cgroups = await readFile(`/proc/${again}/cgroup`, "utf8");
    assert.match(cgroups, cgroupPath(h.realm, SPACE, STACK, "jobs", "svc"));
    await waitFor("the restarted task's log line", async () => (await logOf("svc")).split("boot").length - 1 === 2);
    const plan = await planExit();
    assert.is(plan.code, 0, plan.out);
    const get = await h.kuke(["get", "containers", "svc", ...scope(), "-o", "json"]);
    const status = (JSON.parse(get.stdout) as { items: { status: { restarts: number; state: string } }[] }).items[0]!
      .status;
    assert.is(status.state, "Running");
    assert.is(status.restarts, 1);
    const table = await h.kuke(["get", "containers", "svc", ...scope()]);
    assert.match(table.stdout, /RESTARTS/);
    assert.match(table.stdout, /svc\s.*Running\s+1\+?\s/);
  },
);

t("a 'no' job that exited 0 is Completed and leaves the plan empty after two applies", async () => {
  await waitFor("once to finish", () => stopped("once"), 10_000);
  assert.is((await task("once")).exitStatus, 0);
  for (let i = 0; i < 2; i++) {
    const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, "No changes.");
    const plan = await planExit();
    assert.is(plan.code, 0, plan.out);
  }
  assert.is(await stopped("once"), true);
  assert.is((await logOf("once")).split("done").length - 1, 1, "the job ran once");
  const get = await h.kuke(["get", "containers", "once", ...scope()]);
  assert.match(get.stdout, /once\s.*Completed/);
});

t("an 'on-failure' job that exited 0 stays exited", async () => {
  await waitFor("okjob to finish", () => stopped("okjob"), 10_000);
  // Three monitor intervals: a monitor that restarted it would have done so by now.
  await new Promise((r) => setTimeout(r, 3000));
  const c = await task("okjob");
  assert.is(c.status, "stopped");
  assert.is(c.exitStatus, 0);
  assert.is((await logOf("okjob")).split("ok").length - 1, 1);
  const plan = await planExit();
  assert.is(plan.code, 0, plan.out);
});

t("kuke stop and kuke kill are not fought by the monitor; kuke start hands the task back", async () => {
  const stop = await h.kuke(["stop", "container", "svc", ...scope()]);
  assert.is(stop.code, 0, stop.stderr);
  assert.is((await task("svc")).labels[RESTART_LABELS.status], undefined);
  await new Promise((r) => setTimeout(r, 3000));
  assert.is.not((await task("svc")).status, "running");
  const start = await h.kuke(["start", "container", "svc", ...scope()]);
  assert.is(start.code, 0, start.stderr);
  const started = await task("svc");
  assert.is(started.status, "running");
  assert.is(started.labels[RESTART_LABELS.status], "running");

  const kill = await h.kuke(["kill", "container", "svc", ...scope()]);
  assert.is(kill.code, 0, kill.stderr);
  await new Promise((r) => setTimeout(r, 3000));
  assert.is((await task("svc")).status, "stopped");
  const plan = await planExit();
  assert.is(plan.code, 0, plan.out);
  assert.is((await h.kuke(["start", "container", "svc", ...scope()])).code, 0);
  assert.is((await task("svc")).status, "running");
});

t("changing the policy is live: labels only, the task keeps running", async () => {
  const pid = (await task("svc")).pid;
  await withJobs((text) =>
    text.replace('exec sleep 3600"]\n      restartPolicy: always', 'exec sleep 3600"]\n      restartPolicy: "no"'),
  );
  const plan = await h.kuke(["plan", "-f", h.manifest]);
  assert.match(plan.stdout, "1 to change");
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(r.code, 0, r.stderr);
  const c = await task("svc");
  assert.is(c.pid, pid, "not restarted");
  assert.is(c.labels[RESTART_LABELS.status], undefined);
  assert.is(c.labels[RESTART_LABELS.policy], undefined);
  assert.is((await planExit()).code, 0);
  // No longer held: a kill behind kuke's back is drift with its exit code.
  process.kill(pid as number, "SIGKILL");
  await waitFor("svc to stop", () => stopped("svc"));
  const drift = await planExit();
  assert.is(drift.code, 2, drift.out);
  assert.match(drift.out, "task exited with code 137");
});

t.run();
