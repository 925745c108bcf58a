/**
 * What a containerd killed in the middle of `Snapshots.Prepare` can leave: the overlay snapshotter
 * renamed the new snapshot's directory into place, then its metadata transaction died with the
 * process, so the next snapshot is given the same id and its Prepare fails with `failed to rename
 * … file exists` (containerd removing the directory as it fails). Here the leftovers are made by
 * hand (directories under the next ids of a containerd of the test's own, exactly what the kill
 * leaves) and `prepareSnapshot` gets past them. Found by the containerd-restart e2e test, where the
 * apply riding out the restart failed on it.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ContainerdClient } from "../../../src/executors/containerd/client.js";
import { prepareSnapshot, SNAPSHOTTER, snapshotExists } from "../../../src/executors/containerd/snapshots.js";
import { startContainerd, type TestContainerd } from "../../harness/containerd.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/containerd/snapshot leftovers");
let ctd: TestContainerd;
let client: ContainerdClient;

t.before(async () => {
  ctd = await startContainerd();
  onTeardown("containerd of snapshot leftovers", () => ctd.stop());
  client = new ContainerdClient(ctd.socketPath);
});
t.after(async () => {
  client?.close();
  await ctd?.stop();
});

const call = { namespace: "kuke-test-leftovers" };
const snapshotsDir = () => join(ctd.root, `io.containerd.snapshotter.v1.${SNAPSHOTTER}`, "snapshots");
const ids = () =>
  readdirSync(snapshotsDir())
    .map(Number)
    .filter((n) => Number.isInteger(n))
    .sort((a, b) => a - b);

t("directories a killed Prepare left under the next ids: the prepare gets past them", async () => {
  await prepareSnapshot(client, call, "first", "");
  const last = Math.max(...ids());
  // Two Prepares were running when containerd was killed: two leftovers, the next two ids.
  for (const id of [last + 1, last + 2]) {
    mkdirSync(join(snapshotsDir(), String(id), "fs"), { recursive: true });
    writeFileSync(join(snapshotsDir(), String(id), "fs", "file"), "left by a killed Prepare\n");
  }
  // Each prepare gets past the leftover under the id it is given.
  for (const key of ["after-the-kill", "next"]) {
    const mounts = await prepareSnapshot(client, call, key, "", { "kuke.dev/managed-by": "kuke" });
    assert.ok(mounts.length > 0, `${key}: the prepared snapshot's mounts`);
    assert.ok(await snapshotExists(client, call, key), key);
  }
  assert.is(ids().length, 3, `one directory per snapshot, no leftover: ${ids().join(", ")}`);
});

t("any other Prepare failure is not retried: a missing parent stays not-found", async () => {
  try {
    await prepareSnapshot(client, call, "orphan-child", "no-such-parent");
    assert.unreachable("a missing parent fails");
  } catch (e) {
    assert.is((e as { code?: string }).code, "not-found", String(e));
  }
});

t.run();
