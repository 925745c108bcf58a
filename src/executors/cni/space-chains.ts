/**
 * A space's iptables chains (its egress chain in filter, its masquerade chain in nat) removed
 * together at network teardown: one `iptables-save` to see them and the jumps to them, one
 * `iptables-restore --noflush` to delete the jumps, flush and delete the chains in one commit per
 * table, instead of about seven `iptables` processes one after another on the tail of a destroy.
 */
import { mustRun, runCommand } from "./host-command.js";

/** A chain of kuke's in an iptables table. */
export interface TableChain {
  table: "filter" | "nat";
  chain: string;
}

/**
 * The `iptables-restore --noflush` script that deletes every rule jumping to one of `chains` (in
 * any chain of its table), then flushes and deletes each chain that `dump` (`iptables-save`
 * output) declares. Undefined when `dump` shows none of them and no jump to them. Pure. Rules are
 * deleted by their saved spec, as `iptables-restore` reads it back (quoted comments included).
 */
export function chainRemovalScript(dump: string, chains: TableChain[]): string | undefined {
  const out: string[] = [];
  let table = "";
  let lines: string[] = [];
  const flush = () => {
    if (lines.length > 0) out.push(`*${table}`, ...lines, "COMMIT");
    lines = [];
  };
  const wanted = (t: string) => chains.filter((c) => c.table === t).map((c) => c.chain);
  let declared: string[] = [];
  let mine: string[] = [];
  const closeTable = () => {
    for (const c of mine.filter((m) => declared.includes(m))) lines.push(`-F ${c}`, `-X ${c}`);
    flush();
  };
  for (const line of dump.split("\n")) {
    if (line.startsWith("*")) {
      table = line.slice(1).trim();
      mine = wanted(table);
      declared = [];
    } else if (line.startsWith(":")) {
      const name = line.slice(1).split(" ")[0] ?? "";
      if (mine.includes(name)) declared.push(name);
    } else if (line.startsWith("-A ")) {
      if (mine.some((c) => line.endsWith(` -j ${c}`) || line.includes(` -j ${c} `))) {
        lines.push(`-D ${line.slice(3)}`);
      }
    } else if (line.trim() === "COMMIT") {
      closeTable();
      table = "";
      mine = [];
    }
  }
  return out.length > 0 ? `${out.join("\n")}\n` : undefined;
}

/**
 * Removes `chains` and every jump to them with one `iptables-save` and one `iptables-restore`.
 * Returns false, having changed nothing, when the restore fails (a rule or chain changed between
 * the two: another process's work), so the caller removes them the slow way, one command at a
 * time, which tolerates that. Missing chains are success.
 */
export async function removeChainsAtOnce(chains: TableChain[]): Promise<boolean> {
  const script = chainRemovalScript(await mustRun("iptables-save", []), chains);
  if (script === undefined) return true;
  return (await runCommand("iptables-restore", ["-w", "--noflush"], script)).code === 0;
}
