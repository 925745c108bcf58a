/**
 * A shim left behind serving no task containerd knows, that accepts connections and never answers:
 * what the crash suite met once in a while after a kill during the roots' task starts, where every
 * later create of the cell waited out its deadline (containerd 1.6 hands a group's create to
 * whatever accepts on the group's socket). Made here on purpose: a running root, its containerd
 * killed and its bundle taken away while it is down (so the new daemon does not know the task),
 * the shim stopped (SIGSTOP: it accepts, it never answers). The root's next start must kill that
 * shim, clear what runc kept, and start the task under a new shim.
 */

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SHIM_GROUP_ANNOTATION } from "../../../src/engine/container-spec.js";
import { removeEmptyCgroups } from "../../../src/executors/containerd/cgroup-cleanup.js";
import { ContainerdClient } from "../../../src/executors/containerd/client.js";
import { type ContainerdExecutor, createContainerdExecutor } from "../../../src/executors/containerd/executor.js";
import { shimPids, shimSocketExists, shimSocketPath } from "../../../src/executors/containerd/orphan-shim.js";
import { getTask } from "../../../src/executors/containerd/tasks.js";
import type { ContainerAddress } from "../../../src/model/address.js";
import { parseAddress } from "../../../src/model/address.js";
import { containerLabels } from "../../../src/model/host-names.js";
import { busyboxSleep, importBusybox } from "../../harness/busybox-image.js";
import { startContainerd, type TestContainerd } from "../../harness/containerd.js";
import { onTeardown } from "../../harness/teardown.js";

const run = promisify(execFile);
const t = suite("executors/containerd/orphan shim");
let ctd: TestContainerd;

t.before(async () => {
  ctd = await startContainerd();
  onTeardown("containerd of the orphan-shim test", () => ctd.stop());
});
t.after(() => ctd?.stop());

const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

/**
 * A cell root of the test's own (busybox `sleep`, kuke's labels, its own id as its shim group, as
 * kuke's specs name it) created in `ns`, and one cleanup (also registered with the teardown) that
 * kills `stopped` pids, deletes the container, its cgroup and the temp dir.
 */
async function groupRoot(exec: ContainerdExecutor, ns: string) {
  const tag = randomBytes(4).toString("hex");
  const addr = parseAddress(`container/r/s${tag}/t/c/root`) as ContainerAddress;
  const id = `s${tag}_t_c_root`;
  const cgroup = `/kuke-test-${tag}/root`;
  const dir = await mkdtemp(join(tmpdir(), "kuke-orphan-shim-"));
  const stopped: number[] = [];
  const cleanup = async () => {
    for (const p of stopped) {
      try {
        process.kill(p, "SIGKILL");
      } catch {}
    }
    await exec.deleteContainer(ns, id, { cgroupPath: cgroup }).catch(() => undefined);
    await removeEmptyCgroups(cgroup).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  onTeardown(`orphan-shim test ${id}`, cleanup);
  const create = async () => {
    const image = await importBusybox(exec, ns, dir);
    const c = busyboxSleep({
      id,
      snapshotParent: image.topChainId,
      cgroupsPath: cgroup,
      labels: containerLabels(addr, "root", "h"),
    });
    Object.assign(c.spec as object, { annotations: { [SHIM_GROUP_ANNOTATION]: id } });
    await exec.createContainer(ns, c);
  };
  return { id, logPath: join(dir, "root.log"), stopped, cleanup, create };
}

t(
  "a root's start kills a shim of its group that serves no known task and never answers, then starts afresh",
  async () => {
    const exec = createContainerdExecutor(ctd.socketPath, { runcRoot: ctd.runcRoot });
    const client = new ContainerdClient(ctd.socketPath);
    const ns = "kuke-test-orphan-shim";
    const { id, logPath, stopped, cleanup, create } = await groupRoot(exec, ns);
    try {
      await create();
      const first = await exec.startTask(ns, id, logPath);
      const [shim, ...more] = shimPids(ctd.socketPath, ns, id);
      assert.ok(shim !== undefined && more.length === 0, "one shim for the group");
      assert.ok(shimSocketExists(ctd.socketPath, ns, id), shimSocketPath(ctd.socketPath, ns, id));

      // containerd forgets the task: killed, and the task's bundle gone while it is down.
      const bundle = join(ctd.state, "io.containerd.runtime.v2.task", ns, id);
      await ctd.restart(0, async () => {
        await run("umount", ["-l", join(bundle, "rootfs")]);
        await rm(bundle, { recursive: true, force: true });
      });
      assert.is(await getTask(client, { namespace: ns }, id), undefined, "containerd knows no task");
      assert.ok(alive(shim) && alive(first.pid), "the shim and its container live on");
      // It accepts on the group's socket and never answers.
      process.kill(shim, "SIGSTOP");
      stopped.push(shim);

      const second = await exec.startTask(ns, id, logPath);
      assert.ok(second.pid > 0 && second.pid !== first.pid, `a new task: ${first.pid} → ${second.pid}`);
      assert.not.ok(alive(shim), "the orphan shim is gone");
      assert.not.ok(alive(first.pid), "its container went with runc's delete");
      const now = shimPids(ctd.socketPath, ns, id);
      assert.is(now.length, 1);
      assert.is.not(now[0], shim);
      const task = await getTask(client, { namespace: ns }, id);
      assert.is(task?.status, "RUNNING");
    } finally {
      client.close();
      await cleanup();
    }
  },
);

t("no socket for the group, or a task containerd knows: nothing is looked at or killed", async () => {
  const exec = createContainerdExecutor(ctd.socketPath, { runcRoot: ctd.runcRoot });
  const ns = "kuke-test-orphan-shim-2";
  const { id, logPath, cleanup, create } = await groupRoot(exec, ns);
  assert.not.ok(shimSocketExists(ctd.socketPath, ns, id));
  assert.equal(shimPids(ctd.socketPath, ns, id), []);
  // A live group: its shim serves a task containerd knows, and a second start is a no-op.
  try {
    await create();
    const first = await exec.startTask(ns, id, logPath);
    const [shim] = shimPids(ctd.socketPath, ns, id);
    const again = await exec.startTask(ns, id, logPath);
    assert.is(again.pid, first.pid);
    assert.ok(shim !== undefined && alive(shim), "the live group's shim is kept");
    assert.ok(existsSync(`/proc/${first.pid}`));
  } finally {
    await cleanup();
  }
});

t.run();
