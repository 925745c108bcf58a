/**
 * kuke's orphans in containerd (issue 12 item 2): a snapshot a killed kuke prepared for a container
 * it never created, and the lease that kuke held, carry kuke's labels; the next create of that
 * container replaces the snapshot instead of failing with "already exists", and `removeOrphans`
 * finds and removes the rest by label, leaving the image's snapshots and a live kuke's lease.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ContainerdClient } from "../../../src/executors/containerd/client.js";
import { createContainerdExecutor } from "../../../src/executors/containerd/executor.js";
import { kukeLeaseLabels, LEASE_HOLDER, snapshotLabelsOf } from "../../../src/executors/containerd/orphans.js";
import { listSnapshots, prepareSnapshot } from "../../../src/executors/containerd/snapshots.js";
import { type ContainerAddress, parseAddress } from "../../../src/model/address.js";
import { containerLabels } from "../../../src/model/host-names.js";
import { BUSYBOX_IMAGE, busyboxSleep, importBusybox } from "../../harness/busybox-image.js";
import { sharedContainerd } from "../../harness/containerd.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/containerd/orphans");

/** A pid that is certainly not running: a process that already exited. */
function deadPid(): number {
  const r = spawnSync("true");
  return r.pid as number;
}

t("a killed kuke's snapshot and lease: create replaces the snapshot, removeOrphans removes the rest", async () => {
  const ctd = await sharedContainerd();
  const exec = createContainerdExecutor(ctd.socketPath, { runcRoot: ctd.runcRoot });
  const client = new ContainerdClient(ctd.socketPath);
  const tag = randomBytes(4).toString("hex");
  const ns = `kuke-test-orphans-${tag}`;
  const dir = await mkdtemp(join(tmpdir(), "kuke-orphans-"));
  const id = `s${tag}_t_c_app`;
  const other = `s${tag}_t_c_side`;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    for (const c of [id, other]) await exec.deleteContainer(ns, c, {}).catch(() => undefined);
    await exec.removeOrphans(ns).catch(() => undefined);
    await exec.removeImage(ns, BUSYBOX_IMAGE).catch(() => undefined);
    await exec.deleteNamespace(ns).catch(() => undefined);
    client.close();
    exec.close();
    await rm(dir, { recursive: true, force: true });
  };
  onTeardown(`orphans test ${ns}`, cleanup);
  try {
    const image = await importBusybox(exec, ns, dir);
    const labels = containerLabels(parseAddress(`container/r/s${tag}/t/c/app`) as ContainerAddress, "workload", "h");

    // What a kuke killed inside createContainer leaves: its lease and the prepared snapshots.
    const dead = { ...kukeLeaseLabels(), [LEASE_HOLDER.pid]: String(deadPid()) };
    const lease = `kuke-test-${tag}`;
    await client.unary("leases", "Create", { id: lease, labels: dead }, { namespace: ns });
    const call = { namespace: ns, lease };
    for (const key of [id, other]) await prepareSnapshot(client, call, key, image.topChainId, snapshotLabelsOf(labels));
    // A live kuke's lease is not an orphan.
    const live = `kuke-test-live-${tag}`;
    await client.unary("leases", "Create", { id: live, labels: kukeLeaseLabels() }, { namespace: ns });

    await exec.createContainer(
      ns,
      busyboxSleep({ id, snapshotParent: image.topChainId, cgroupsPath: `/kuke-test-${tag}/app`, labels, seconds: 60 }),
    );
    const removed = await exec.removeOrphans(ns);
    assert.equal(removed, { snapshots: [other], leases: [lease] });
    const active = (await listSnapshots(client, { namespace: ns }))
      .filter((s) => s.kind === "ACTIVE")
      .map((s) => s.name);
    assert.equal(active, [id], "the container's snapshot stays; the orphan is gone");
    assert.equal(
      (await exec.removeOrphans(ns)).snapshots,
      [],
      "nothing more to remove: a container's snapshot is never an orphan",
    );
    const leases = await client.unary<{ leases: { id: string }[] }>(
      "leases",
      "List",
      { filters: [] },
      { namespace: ns },
    );
    assert.equal(
      leases.leases.map((l) => l.id),
      [live],
    );
    await client.unary("leases", "Delete", { id: live }, { namespace: ns });
  } finally {
    await cleanup();
  }
});

t.run();
