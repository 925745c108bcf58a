import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runCommand } from "../../src/executors/cni/host-command.js";
import { natChainExists, removeNatChain } from "../../src/purge/nat-chain.js";
import { runId } from "../harness/netns.js";
import { onTeardown } from "../harness/teardown.js";

const t = suite("purge/nat-chain on this host");

/** A chain shaped like the bridge plugin's, with two POSTROUTING jumps carrying quoted comments. */
const chain = `CNI-kuketest${runId()}`;
const sources = ["198.18.7.1/32", "198.18.7.2/32"];

async function ipt(...args: string[]): Promise<void> {
  const r = await runCommand("iptables", ["-w", "-t", "nat", ...args]);
  if (r.code !== 0) throw new Error(`iptables ${args.join(" ")}: ${r.stderr}`);
}

async function forceRemove(): Promise<void> {
  for (const s of sources) {
    await runCommand("iptables", ["-w", "-t", "nat", "-D", "POSTROUTING", "-s", s, "-j", chain]);
  }
  await runCommand("iptables", ["-w", "-t", "nat", "-F", chain]);
  await runCommand("iptables", ["-w", "-t", "nat", "-X", chain]);
}

t("removes the chain and every POSTROUTING jump to it; a missing chain is success", async () => {
  onTeardown(`nat chain ${chain}`, forceRemove);
  await ipt("-N", chain);
  await ipt("-A", chain, "-d", "198.18.7.0/24", "-j", "ACCEPT");
  for (const s of sources) {
    await ipt(
      "-A",
      "POSTROUTING",
      "-s",
      s,
      "-m",
      "comment",
      "--comment",
      `name: "kuke_x_y" id: "x_y_z_${s}"`,
      "-j",
      chain,
    );
  }
  assert.ok(await natChainExists(chain));
  await removeNatChain(chain);
  assert.not.ok(await natChainExists(chain));
  const left = await runCommand("iptables-save", ["-t", "nat"]);
  assert.not.match(left.stdout, chain);
  await removeNatChain(chain);
});

t.run();
