/**
 * Last-resort removal of a bridge plugin masquerade chain when CNI DEL could not run (the space's
 * conflist and the attachment record are both gone). CNI DEL is always tried first: it also
 * releases the address and the veth.
 */
import { chainExists } from "../executors/cni/egress.js";
import { mustRun } from "../executors/cni/host-command.js";

/** True when the nat chain exists. */
export function natChainExists(chain: string): Promise<boolean> {
  return chainExists("nat", chain);
}

/** Deletes every POSTROUTING jump to `chain`, then flushes and deletes it. A missing chain is success. */
export async function removeNatChain(chain: string): Promise<void> {
  if (!(await natChainExists(chain))) return;
  // By rule number, highest first, so the comment quoting of `-S` output never has to be parsed back.
  const listing = await mustRun("iptables", ["-w", "-t", "nat", "-L", "POSTROUTING", "-n", "--line-numbers"]);
  const numbers = listing
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => /^\d+$/.test(f[0] ?? "") && f[1] === chain)
    .map((f) => Number(f[0]))
    .sort((a, b) => b - a);
  for (const n of numbers) await mustRun("iptables", ["-w", "-t", "nat", "-D", "POSTROUTING", String(n)]);
  await mustRun("iptables", ["-w", "-t", "nat", "-F", chain]);
  await mustRun("iptables", ["-w", "-t", "nat", "-X", chain]);
}
