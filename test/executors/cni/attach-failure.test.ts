import { chmod, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runCommand } from "../../../src/executors/cni/host-command.js";
import type { NetworkExecutor } from "../../../src/executors/cni/network-executor.js";
import { CniPluginError } from "../../../src/executors/cni/plugin-exec.js";
import { cellAddress } from "../../../src/model/address.js";
import { masqueradeChainOfSpace } from "../../../src/model/host-names.js";
import { leakCheck, runId, startNetnsHolder } from "../../harness/netns.js";
import { onTeardown } from "../../harness/teardown.js";
import { tempNetwork } from "../../harness/temp-network.js";

// attach runs the lo and bridge ADDs at once; when lo fails after the bridge succeeded, the
// bridge's address, veth and NAT rules must be released before the error reaches the caller.
const t = suite("executors/cni/attach when the loopback plugin fails, or is not run");

const id = runId();
const realm = `kf${id}`;
const cell = cellAddress(realm, "s", "t", "a");
const octet = 150 + Math.floor(Math.random() * 100);

/** A `loopback` that answers VERSION like the real one and fails every ADD with CNI error 7. */
const FAILING_LOOPBACK = `#!/bin/sh
cat > /dev/null
case "$CNI_COMMAND" in
  VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}' ;;
  ADD) echo '{"cniVersion":"1.0.0","code":7,"msg":"injected loopback failure"}'; exit 1 ;;
esac
`;

let net: NetworkExecutor;

t.before(async () => {
  const pluginDir = await mkdtemp(join(tmpdir(), "kt-netfail-bin-"));
  onTeardown(`temp ${pluginDir}`, () => rm(pluginDir, { recursive: true, force: true }));
  for (const real of ["bridge", "host-local"]) await symlink(join("/usr/lib/cni", real), join(pluginDir, real));
  await writeFile(join(pluginDir, "loopback"), FAILING_LOOPBACK);
  await chmod(join(pluginDir, "loopback"), 0o755);
  ({ net } = await tempNetwork(
    "kt-netfail",
    { realm, spaces: ["s"], cells: [cell] },
    { pluginDirs: [pluginDir], subnetPool: `10.${octet}.0.0/16` },
  ));
});

t("the plugin's error is thrown and the bridge's attachment is undone", async () => {
  const space = await net.ensureSpaceNetwork(realm, "s");
  const holder = await startNetnsHolder();
  try {
    await net.pin(cell, holder.pid);
    try {
      await net.attach(cell);
      assert.unreachable("attach should fail");
    } catch (e) {
      assert.instance(e, CniPluginError);
      assert.is((e as CniPluginError).cniCode, 7);
    }
    const eth0 = await runCommand("nsenter", [`--net=${net.pinner.pathOf(cell)}`, "ip", "link", "show", "dev", "eth0"]);
    assert.is.not(eth0.code, 0, "no eth0 left in the namespace");
    const leaks = await net.leaks(realm, "s", [cell]);
    assert.equal(leaks.veths, []);
    const spaceChain = masqueradeChainOfSpace(realm, "s");
    assert.equal(
      leaks.natRules.filter((l) => !l.includes(spaceChain)),
      [],
      "no nat rule of the cell's (the space's masquerade chain stays with the space)",
    );
    assert.equal(leaks.attachmentRecords, []);
    const addresses = (await readdir(join(net.ipamDir, space.network)).catch(() => [] as string[])).filter((f) =>
      f.startsWith(`10.${octet}.`),
    );
    assert.equal(addresses, [], "no address stays reserved");
  } finally {
    await net.unpin(cell);
    await holder.kill();
  }
  await net.removeSpaceNetwork(realm, "s");
  assert.equal(await leakCheck({ network: { executor: net, realm, space: "s", cells: [cell] } }), []);
});

t("loopbackUp (the engine's cells, whose lo runc brought up): the loopback plugin is not run", async () => {
  await net.ensureSpaceNetwork(realm, "s");
  const holder = await startNetnsHolder();
  try {
    await net.pin(cell, holder.pid);
    // The failing loopback would fail this attach if it ran.
    const a = await net.attach(cell, [], { loopbackUp: true });
    assert.match(a.ip, new RegExp(`^10\\.${octet}\\.`));
    const lo = await runCommand("nsenter", [
      `--net=${net.pinner.pathOf(cell)}`,
      "ip",
      "-o",
      "link",
      "show",
      "dev",
      "lo",
    ]);
    assert.not.match(lo.stdout, /[<,]UP[,>]/, "lo left as the namespace had it");
    await net.detach(cell);
  } finally {
    await net.unpin(cell);
    await holder.kill();
  }
  await net.removeSpaceNetwork(realm, "s");
  assert.equal(await leakCheck({ network: { executor: net, realm, space: "s", cells: [cell] } }), []);
});

t.run();
