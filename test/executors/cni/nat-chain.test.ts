import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runCommand } from "../../../src/executors/cni/host-command.js";
import { natChainExists, removeNatChain, ruleWords } from "../../../src/executors/cni/nat-chain.js";
import { runId } from "../../harness/netns.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/cni/nat-chain on this host");

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
  await runCommand("iptables", ["-w", "-t", "nat", "-D", "POSTROUTING", ...other]);
}

/** A POSTROUTING rule of someone else's, placed between kuke's jumps: it must survive. */
const other = ["-s", "198.18.7.9/32", "-m", "comment", "--comment", `not kuke's ${chain}`, "-j", "RETURN"];

t("iptables -S lines split into the arguments that made them, quoted comments included", () => {
  assert.equal(ruleWords('POSTROUTING -s 10.1.0.5/32 -m comment --comment "name: \\"n\\" id: \\"a b\\"" -j CNI-1'), [
    "POSTROUTING",
    "-s",
    "10.1.0.5/32",
    "-m",
    "comment",
    "--comment",
    'name: "n" id: "a b"',
    "-j",
    "CNI-1",
  ]);
  assert.equal(ruleWords('X --comment ""'), ["X", "--comment", ""]);
});

t("removes the chain and every POSTROUTING jump to it; a missing chain is success", async () => {
  onTeardown(`nat chain ${chain}`, forceRemove);
  await ipt("-N", chain);
  await ipt("-A", chain, "-d", "198.18.7.0/24", "-j", "ACCEPT");
  for (const s of sources) {
    if (s === sources[1]) await ipt("-A", "POSTROUTING", ...other);
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
  assert.not.match(left.stdout, `-j ${chain}`);
  assert.match(left.stdout, "198.18.7.9/32", "a rule that is not a jump to the chain stays");
  await removeNatChain(chain);
});

t.run();
