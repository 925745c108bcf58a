/**
 * A space's outgoing traffic is masqueraded by one nat chain per space, written once when the space's
 * network is ensured, instead of by the bridge plugin per cell (its `ipMasq` runs about eight
 * `iptables` processes on every ADD and five on every DEL, each taking the xtables lock in turn).
 * The rules are the bridge plugin's, for the whole subnet: traffic inside the subnet is left alone,
 * anything else except multicast is masqueraded.
 */
import { mustRun } from "./host-command.js";
import { removeNatChain } from "./nat-chain.js";

/** The chain's rules (iptables-save syntax, without the chain declaration). Pure. */
export function masqueradeRules(chain: string, subnet: string): string[] {
  return [`-A ${chain} -d ${subnet} -j ACCEPT`, `-A ${chain} ! -d 224.0.0.0/4 -j MASQUERADE`];
}

/** The POSTROUTING rule sending the subnet's traffic through the chain (iptables -S syntax, without `-A POSTROUTING`). */
export function masqueradeJump(chain: string, subnet: string): string {
  return `-s ${subnet} -j ${chain}`;
}

/**
 * Makes `chain` hold exactly the subnet's masquerade rules and POSTROUTING jump to it once, from
 * the subnet only: one `iptables -S POSTROUTING` and one `iptables-restore --noflush`, which fills
 * the chain and fixes the jumps in one commit. Idempotent; a jump for another subnet (the space's
 * earlier one) is removed.
 */
export async function ensureSpaceMasquerade(chain: string, subnet: string): Promise<void> {
  const listing = await mustRun("iptables", ["-w", "-t", "nat", "-S", "POSTROUTING"]);
  const jumps = listing
    .split("\n")
    .filter((l) => l.startsWith("-A POSTROUTING ") && l.endsWith(` -j ${chain}`))
    .map((l) => l.slice("-A POSTROUTING ".length));
  const wanted = masqueradeJump(chain, subnet);
  const script = [
    "*nat",
    `:${chain} - [0:0]`,
    `-F ${chain}`,
    ...masqueradeRules(chain, subnet),
    ...jumps.filter((j) => j !== wanted).map((j) => `-D POSTROUTING ${j}`),
    ...(jumps.includes(wanted) ? [] : [`-A POSTROUTING ${wanted}`]),
    "COMMIT",
    "",
  ].join("\n");
  await mustRun("iptables-restore", ["-w", "--noflush"], script);
}

/** Removes the POSTROUTING jumps to `chain` and the chain. A missing chain is success. */
export function removeSpaceMasquerade(chain: string): Promise<void> {
  return removeNatChain(chain);
}
