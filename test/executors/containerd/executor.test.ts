import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { cgroupMounts, removeEmptyCgroups } from "../../../src/executors/containerd/cgroup-cleanup.js";
import { ContainerdClient } from "../../../src/executors/containerd/client.js";
import { type ContainerdExecutor, createContainerdExecutor } from "../../../src/executors/containerd/executor.js";
import { listSnapshots } from "../../../src/executors/containerd/snapshots.js";
import { getTask } from "../../../src/executors/containerd/tasks.js";
import type { ContainerAddress } from "../../../src/model/address.js";
import { parseAddress } from "../../../src/model/address.js";
import { isKukeError } from "../../../src/model/errors.js";
import { containerLabels } from "../../../src/model/host-names.js";
import { BUSYBOX_IMAGE, busyboxSleep, importBusybox } from "../../harness/busybox-image.js";
import { minimalOciSpec, sharedContainerd } from "../../harness/containerd.js";
import { onTeardown } from "../../harness/teardown.js";
import { until } from "../../harness/until.js";

const t = suite("executors/containerd/executor");

/**
 * A test container's surroundings: a temp dir, the busybox image loaded into `ns`, and one cleanup
 * (registered with the teardown too) that deletes the container, its cgroups, the image and the dir.
 */
async function busyboxWorld(exec: ContainerdExecutor, ns: string, id: string, cgroup: string) {
  const dir = await mkdtemp(join(tmpdir(), "kuke-ctr-test-"));
  const cleanup = async () => {
    await exec.deleteContainer(ns, id, { cgroupPath: cgroup }).catch(() => undefined);
    await removeEmptyCgroups(cgroup).catch(() => undefined);
    await exec.removeImage(ns, BUSYBOX_IMAGE).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  onTeardown(`executor test ${id}`, cleanup);
  const load = () => importBusybox(exec, ns, dir);
  return { dir, cleanup, load };
}

t("container lifecycle: create, start in its cgroup, log, list, update, stop, restart, delete", async () => {
  const ctd = await sharedContainerd();
  const exec = createContainerdExecutor(ctd.socketPath, { runcRoot: ctd.runcRoot });
  const client = new ContainerdClient(ctd.socketPath);
  const ns = `kuke-test-ctr-${process.pid}`;
  const tag = randomBytes(4).toString("hex");
  const addr = parseAddress(`container/r/s${tag}/t/c/app`) as ContainerAddress;
  const id = `s${tag}_t_c_app`;
  const cgroup = `/kuke-test-${tag}/app`;
  const { dir, cleanup, load } = await busyboxWorld(exec, ns, id, cgroup);
  const logPath = join(dir, "logs", "app.log");
  try {
    const image = await load();
    const spec = minimalOciSpec(["sh", "-c", "echo to-stdout; echo to-stderr >&2; exec sleep 1000"], cgroup);
    await exec.createContainer(ns, {
      id,
      image: BUSYBOX_IMAGE,
      snapshotParent: image.topChainId,
      spec,
      labels: containerLabels(addr, "workload", "hash-1"),
    });
    const dup = await exec
      .createContainer(ns, { id, image: BUSYBOX_IMAGE, snapshotParent: image.topChainId, spec, labels: {} })
      .catch((e: unknown) => e);
    assert.ok(isKukeError(dup, "already-exists"), String(dup));

    const { pid } = await exec.startTask(ns, id, logPath);
    assert.ok(pid > 0);
    assert.is((await exec.startTask(ns, id, logPath)).pid, pid, "starting a running task is a no-op");
    assert.ok(existsSync(join(ctd.runcRoot, ns, id)), "runc state is under the runc root we chose");
    assert.not.ok(existsSync(`/run/containerd/runc/${ns}`), "nothing under the system's runc root");

    // The process really is in the cgroup we asked for, in every hierarchy it joined.
    const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
    const inside = lines.filter((l) => l.endsWith(`:${cgroup}`));
    assert.ok(inside.length > 0, lines.join("\n"));
    assert.ok(
      lines.some((l) => /:memory:/.test(l) || l.startsWith("0::")),
      "a memory or unified line",
    );

    const log = await until("both streams in the log", async () => {
      const text = await readFile(logPath, "utf8").catch(() => "");
      return text.includes("to-stdout") && text.includes("to-stderr") ? text : undefined;
    });
    assert.match(log, /to-stdout/);

    let records = await exec.listContainers(ns);
    assert.is(records.length, 1);
    assert.is(records[0]!.id, id);
    assert.is(records[0]!.status, "running");
    assert.is(records[0]!.pid, pid);
    assert.is(records[0]!.specHash, "hash-1");
    assert.is(records[0]!.image, BUSYBOX_IMAGE);

    await exec.updateContainer(
      ns,
      id,
      minimalOciSpec(["sleep", "1000"], cgroup),
      containerLabels(addr, "workload", "hash-2"),
    );
    assert.is((await exec.listContainers(ns))[0]!.specHash, "hash-2");

    // `sleep` as PID 1 ignores SIGTERM: stop must escalate to SIGKILL right after the grace period.
    const started = Date.now();
    const stopped = await exec.stopTask(ns, id, { graceMs: 800 });
    const took = Date.now() - started;
    assert.ok(took >= 750 && took < 800 + 5000, `stop took ${took} ms`);
    assert.is(stopped?.exitStatus, 137);
    assert.not.ok(existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("sleep"));
    assert.is(await exec.stopTask(ns, id), undefined, "stopping again is a no-op");
    assert.is(await exec.killTask(ns, id, 15), false);

    records = await exec.listContainers(ns);
    assert.is(records[0]!.status, "stopped");
    assert.is(records[0]!.hasTask, false);

    const again = await exec.startTask(ns, id, logPath);
    assert.ok(again.pid > 0 && again.pid !== pid);
    // Start returns once runc has told init to exec; the exec itself may still be a moment away.
    await until("the updated spec's program", () =>
      readFileSync(`/proc/${again.pid}/cmdline`, "utf8").split("\0")[0] === "sleep" ? true : undefined,
    );

    await exec.deleteContainer(ns, id, { cgroupPath: cgroup });
    assert.is(await getTask(client, { namespace: ns }, id), undefined);
    assert.equal(await exec.listContainers(ns), []);
    const snaps = await listSnapshots(client, { namespace: ns });
    assert.not.ok(
      snaps.some((s) => s.name === id),
      "the container's snapshot is gone",
    );
    for (const m of cgroupMounts()) {
      assert.not.ok(existsSync(`${m}${cgroup}`), `${m}${cgroup} removed`);
      assert.not.ok(existsSync(`${m}/kuke-test-${tag}`), `${m}/kuke-test-${tag} removed`);
    }
    await exec.deleteContainer(ns, id, { cgroupPath: cgroup });
  } finally {
    await cleanup();
    exec.close();
    client.close();
  }
});

/** A client that notes each unary call's `service.method`. */
class CountingClient extends ContainerdClient {
  readonly calls: string[] = [];
  override unary<Res>(...args: Parameters<ContainerdClient["unary"]>): Promise<Res> {
    this.calls.push(`${args[0]}.${args[1]}`);
    return super.unary<Res>(...args);
  }
}

t(
  "runningTaskPids lists tasks only; deleteContainer after this executor's stopTask does not look for the task again, unless one was started or it is monitored",
  async () => {
    const ctd = await sharedContainerd();
    const client = new CountingClient(ctd.socketPath);
    const exec = createContainerdExecutor(ctd.socketPath, { runcRoot: ctd.runcRoot, client });
    const ns = `kuke-test-ctr-${process.pid}`;
    const tag = randomBytes(4).toString("hex");
    const ids = ["a", "b", "c"].map((x) => `del${x}${tag}`);
    const cgroup = (id: string) => `/kuke-test-${tag}/${id}`;
    const worlds = await Promise.all(ids.map((id) => busyboxWorld(exec, ns, id, cgroup(id))));
    try {
      const image = await worlds[0]!.load();
      const start = async (id: string) => {
        const { pid } = await exec.startTask(ns, id, join(worlds[0]!.dir, `${id}.log`));
        assert.ok(pid > 0);
        return pid;
      };
      for (const id of ids) {
        await exec.createContainer(
          ns,
          busyboxSleep({
            id,
            snapshotParent: image.topChainId,
            cgroupsPath: cgroup(id),
            labels: { "kuke.dev/managed-by": "kuke" },
          }),
        );
        const pid = await start(id);
        // The running tasks' pids come from the task listing alone.
        const from = client.calls.length;
        assert.is((await exec.runningTaskPids(ns)).get(id), pid);
        assert.equal(client.calls.slice(from), ["tasks.List"]);
        assert.is((await exec.stopTask(ns, id, { graceMs: 0 }))?.exitStatus, 137);
        assert.not.ok((await exec.runningTaskPids(ns)).has(id));
      }
      const deleteCalls = async (id: string, monitored?: boolean) => {
        const from = client.calls.length;
        await exec.deleteContainer(ns, id, { cgroupPath: cgroup(id), graceMs: 0, monitored });
        return client.calls.slice(from).filter((c) => c.startsWith("tasks."));
      };
      // Stopped by this executor, nothing started since: no task call at all.
      const [a, b, c] = ids as [string, string, string];
      assert.equal(await deleteCalls(a), []);
      // Started again after the stop: the task is looked for, killed and deleted.
      await start(b);
      assert.ok((await deleteCalls(b)).includes("tasks.Get"));
      // In the restart monitor's hands: looked for.
      assert.ok((await deleteCalls(c, true)).includes("tasks.Get"));
      assert.equal(
        (await exec.listContainers(ns)).filter((r) => ids.includes(r.id)),
        [],
      );
      const snaps = await listSnapshots(client, { namespace: ns });
      assert.not.ok(snaps.some((s) => ids.includes(s.name)));
      for (const m of cgroupMounts()) for (const id of ids) assert.not.ok(existsSync(`${m}${cgroup(id)}`));
    } finally {
      for (const w of worlds) await w.cleanup();
      exec.close();
    }
  },
);

t("a task whose create fails is cleaned up so a corrected start succeeds", async () => {
  const ctd = await sharedContainerd();
  const exec = createContainerdExecutor(ctd.socketPath, { runcRoot: ctd.runcRoot });
  const ns = `kuke-test-ctr-${process.pid}`;
  const tag = randomBytes(4).toString("hex");
  const id = `bad${tag}`;
  const cgroup = `/kuke-test-${tag}/bad`;
  const { dir, cleanup, load } = await busyboxWorld(exec, ns, id, cgroup);
  try {
    const image = await load();
    await exec.createContainer(ns, {
      id,
      image: BUSYBOX_IMAGE,
      snapshotParent: image.topChainId,
      spec: minimalOciSpec(["/no/such/program"], cgroup),
      labels: { "kuke.dev/managed-by": "kuke" },
    });
    const failed = await exec.startTask(ns, id, join(dir, "bad.log")).catch((e: unknown) => e);
    assert.ok(isKukeError(failed, "runtime") || isKukeError(failed, "not-found"), String(failed));
    const records = await exec.listContainers(ns);
    assert.is(records.find((r) => r.id === id)?.hasTask, false, "no task left behind");

    await exec.updateContainer(ns, id, minimalOciSpec(["sleep", "1000"], cgroup), { "kuke.dev/managed-by": "kuke" });
    const { pid } = await exec.startTask(ns, id, join(dir, "bad.log"));
    assert.ok(pid > 0);
    await exec.deleteContainer(ns, id, { cgroupPath: cgroup, graceMs: 0 });
    assert.equal(
      (await exec.listContainers(ns)).filter((r) => r.id === id),
      [],
    );
  } finally {
    await cleanup();
    exec.close();
  }
});

t("removeEmptyCgroups keeps the given ancestor and refuses a non-ancestor", async () => {
  const notAncestor = await removeEmptyCgroups("/a/b", "/x").catch((e: unknown) => e);
  assert.ok(isKukeError(notAncestor, "runtime"), String(notAncestor));
  const dotdot = await removeEmptyCgroups("/a/../b").catch((e: unknown) => e);
  assert.ok(isKukeError(dotdot, "runtime"), String(dotdot));
  assert.ok(cgroupMounts().length > 0);
});

t.run();
