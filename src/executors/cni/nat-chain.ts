/**
 * Last-resort removal of a bridge plugin masquerade chain when CNI DEL cannot run (the space's
 * conflist and the attachment record are both gone): `NetworkExecutor.detach` falls back to it.
 * CNI DEL is always tried first: it also releases the address and the veth.
 */
import { chainExists } from "./egress.js";
import { mustRun } from "./host-command.js";

/** True when the nat chain exists. */
export function natChainExists(chain: string): Promise<boolean> {
  return chainExists("nat", chain);
}

/**
 * Deletes every jump to `chain` from `from` (the bridge's masquerade chains hang off POSTROUTING,
 * portmap's DNAT chains off CNI-HOSTPORT-DNAT), then flushes and deletes it. A missing chain is success.
 * Jumps are deleted by their rule spec, never by rule number: other cells' DELs (the plugin's own,
 * or this fallback for another cell) may change the numbering between a listing and a delete.
 */
export async function removeNatChain(chain: string, from = "POSTROUTING"): Promise<void> {
  if (!(await natChainExists(chain))) return;
  const listing = await mustRun("iptables", ["-w", "-t", "nat", "-S", from]);
  const jumps = listing.split("\n").filter((l) => l.startsWith(`-A ${from} `) && l.endsWith(` -j ${chain}`));
  for (const rule of jumps) await mustRun("iptables", ["-w", "-t", "nat", "-D", ...ruleWords(rule.slice(3))]);
  await mustRun("iptables", ["-w", "-t", "nat", "-F", chain]);
  await mustRun("iptables", ["-w", "-t", "nat", "-X", chain]);
}

/**
 * The arguments of one `iptables -S` rule line: words split at spaces, double-quoted words (the
 * plugin's comments) unquoted with `\"` and `\\` unescaped, as iptables quotes them when saving.
 */
export function ruleWords(line: string): string[] {
  const out: string[] = [];
  let word = "";
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === "\\" && i + 1 < line.length) word += line[++i];
      else if (ch === '"') quoted = false;
      else word += ch;
    } else if (ch === '"') {
      quoted = true;
      inWord = true;
    } else if (ch === " ") {
      if (inWord) out.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(word);
  return out;
}
