import { lookup } from "node:dns/promises";
import { KukeError } from "../../model/errors.js";
import { EGRESS_CHAIN_PREFIX, egressChainName } from "../../model/host-names.js";
import type { EgressPolicy } from "../../model/types.js";
import { mustRun, runCommand } from "./host-command.js";

/** Resolves a DNS name to its IPv4 addresses. */
export type Resolver = (host: string) => Promise<string[]>;

/** `dns.lookup` with every IPv4 answer: what the host's resolver (hosts file included) says at apply time. */
export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, family: 4 })).map((a) => a.address);

/** Where a space's traffic comes from: its bridge and subnet. */
export interface SpaceTraffic {
  bridge: string;
  subnet: string;
}

/** What an applied policy became: the chain and its rules, and what each host name resolved to. */
export interface AppliedEgress {
  chain: string;
  rules: string[];
  resolved: Record<string, string[]>;
}

/** iptables' multiport match takes at most 15 ports. */
const MULTIPORT_MAX = 15;

/**
 * The rules of a space's egress chain (iptables-save syntax, without the chain declaration). Pure.
 * Allowed traffic RETURNs to FORWARD, so a policy only ever restricts what the host allows;
 * a deny default ends with REJECT so a blocked connection fails fast instead of timing out.
 */
export function egressRules(chain: string, policy: EgressPolicy, resolved: Record<string, string[]>): string[] {
  const rules = [`-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`];
  for (const rule of policy.allow) {
    const destinations = rule.cidr !== undefined ? [normalizeCidr(rule.cidr)] : (resolved[rule.host ?? ""] ?? []);
    for (const d of destinations) {
      const dest = d.includes("/") ? d : `${d}/32`;
      if (rule.ports.length === 0) {
        rules.push(`-A ${chain} -d ${dest} -j RETURN`);
        continue;
      }
      const ports = [...new Set(rule.ports)].sort((a, b) => a - b);
      for (let i = 0; i < ports.length; i += MULTIPORT_MAX) {
        const chunk = ports.slice(i, i + MULTIPORT_MAX).join(",");
        for (const proto of ["tcp", "udp"]) {
          rules.push(`-A ${chain} -d ${dest} -p ${proto} -m multiport --dports ${chunk} -j RETURN`);
        }
      }
    }
  }
  if (policy.default === "deny") rules.push(`-A ${chain} -j REJECT --reject-with icmp-port-unreachable`);
  return rules;
}

/** The FORWARD rule sending a space's outgoing traffic (not traffic inside its own subnet) through its chain. */
export function jumpRule(chain: string, t: SpaceTraffic): string[] {
  return ["-i", t.bridge, "-s", t.subnet, "!", "-d", t.subnet, "-j", chain];
}

function normalizeCidr(cidr: string): string {
  return cidr.includes("/") ? cidr : `${cidr}/32`;
}

/**
 * A space's egress policy as one iptables chain in the filter table (IPv4 only). The chain's rules
 * are replaced as a whole with `iptables-restore --noflush`, which flushes and refills a declared
 * chain in one commit, so no packet ever sees a half-written policy.
 */
export class EgressFirewall {
  private readonly resolver: Resolver;

  /** @param resolver host name → IPv4 addresses. @default systemResolver */
  constructor(resolver: Resolver = systemResolver) {
    this.resolver = resolver;
  }

  /**
   * Makes the space's chain hold exactly `policy` (host names resolved now) and ensures the FORWARD
   * jump to it exists once. Idempotent. A host name that does not resolve is `unavailable` and
   * leaves the previous policy in force.
   */
  async apply(realm: string, space: string, traffic: SpaceTraffic, policy: EgressPolicy): Promise<AppliedEgress> {
    const chain = egressChainName(realm, space);
    const resolved: Record<string, string[]> = {};
    for (const rule of policy.allow) {
      if (rule.host === undefined || resolved[rule.host]) continue;
      try {
        resolved[rule.host] = [...new Set(await this.resolver(rule.host))].sort();
      } catch (e) {
        throw new KukeError("unavailable", `cannot resolve egress host ${rule.host}`, {
          cause: e,
          remedy: "check the name, or allow it by cidr",
        });
      }
    }
    const rules = egressRules(chain, policy, resolved);
    const script = ["*filter", `:${chain} - [0:0]`, `-F ${chain}`, ...rules, "COMMIT", ""].join("\n");
    await mustRun("iptables-restore", ["-w", "--noflush"], script);
    const jump = jumpRule(chain, traffic);
    const present = await runCommand("iptables", ["-w", "-C", "FORWARD", ...jump]);
    if (present.code !== 0) await mustRun("iptables", ["-w", "-I", "FORWARD", "1", ...jump]);
    return { chain, rules, resolved };
  }

  /** Removes every FORWARD jump to the space's chain, then the chain. A missing chain is success. */
  async remove(realm: string, space: string): Promise<void> {
    const chain = egressChainName(realm, space);
    const forward = await mustRun("iptables", ["-w", "-S", "FORWARD"]);
    for (const line of forward.split("\n")) {
      const args = line.trim().split(/\s+/);
      if (args[0] !== "-A" || args.at(-1) !== chain || args.at(-2) !== "-j") continue;
      await mustRun("iptables", ["-w", "-D", ...args.slice(1)]);
    }
    if (!(await chainExists("filter", chain))) return;
    await mustRun("iptables", ["-w", "-F", chain]);
    await mustRun("iptables", ["-w", "-X", chain]);
  }

  /** The rules currently in the space's chain (`-A …` lines), or undefined when it does not exist. */
  async read(realm: string, space: string): Promise<string[] | undefined> {
    const chain = egressChainName(realm, space);
    const r = await runCommand("iptables", ["-w", "-S", chain]);
    if (r.code !== 0) return undefined;
    return r.stdout.split("\n").filter((l) => l.startsWith("-A "));
  }
}

/** True when `chain` exists in `table`. */
export async function chainExists(table: "filter" | "nat", chain: string): Promise<boolean> {
  const r = await runCommand("iptables", ["-w", "-t", table, "-S", chain]);
  return r.code === 0;
}

/**
 * Every egress chain of kuke's (`KUKE-EG-…`) in the filter table, sorted: one `iptables -S` for
 * all spaces. A missing `iptables` is `failed-precondition`; any other failure is `runtime`.
 */
export async function listEgressChains(): Promise<string[]> {
  const r = await runCommand("iptables", ["-w", "-S"]);
  if (r.code !== 0) throw new KukeError("runtime", "cannot list iptables chains", { detail: r.stderr });
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith(`-N ${EGRESS_CHAIN_PREFIX}`))
    .map((l) => l.slice(3).trim())
    .sort();
}
