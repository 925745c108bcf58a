import { mkdir, writeFile } from "node:fs/promises";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mustRun } from "../../../src/executors/cni/host-command.js";
import type { NetworkExecutor } from "../../../src/executors/cni/network-executor.js";
import { cellAddress } from "../../../src/model/address.js";
import { leakCheck, runId, startNetnsHolder } from "../../harness/netns.js";
import { tempNetwork } from "../../harness/temp-network.js";

// A kuke killed between creating a cell's pin file and mounting the namespace on it (or a pin
// unmounted by hand) leaves a plain file at the pin path. Detach must still release the cell's
// address and NAT rules instead of failing with the plugins' "unknown FS magic" on that file.
const t = suite("executors/cni/detach when the pin path holds no namespace");

const realm = `kd${runId()}`;
const cell = cellAddress(realm, "s", "t", "a");
const octet = 150 + Math.floor(Math.random() * 100);
let net: NetworkExecutor;

t.before(async () => {
  ({ net } = await tempNetwork(
    "kt-netdet",
    { realm, spaces: ["s"], cells: [cell] },
    { subnetPool: `10.${octet}.0.0/16` },
  ));
});

t("an attached cell whose pin is a plain file detaches, unpins and leaves nothing", async () => {
  await net.ensureSpaceNetwork(realm, "s");
  const holder = await startNetnsHolder();
  try {
    await net.pin(cell, holder.pid);
    await net.attach(cell);
    await mustRun("umount", [net.pinner.pathOf(cell)]);
  } finally {
    await holder.kill();
  }
  assert.not.ok(await net.pinner.isPinned(cell));
  await net.detach(cell);
  await net.unpin(cell);
  await net.removeSpaceNetwork(realm, "s");
  assert.equal(await leakCheck({ network: { executor: net, realm, space: "s", cells: [cell] } }), []);
});

t("removing a space's network removes its cells' pin files that hold no namespace, and no other", async () => {
  await net.ensureSpaceNetwork(realm, "s");
  const other = cellAddress(realm, "s2", "t", "a");
  await mkdir(net.pinner.dir, { recursive: true });
  await writeFile(net.pinner.pathOf(cell), "");
  await writeFile(net.pinner.pathOf(other), "");
  await net.removeSpaceNetwork(realm, "s");
  assert.equal(await net.pinner.list(), [net.pinner.pathOf(other)]);
  await net.unpin(other);
});

t.run();
