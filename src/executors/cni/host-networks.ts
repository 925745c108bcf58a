import { KukeError } from "../../model/errors.js";
import { runCommand } from "./host-command.js";
import { formatIp, parseCidr } from "./ipv4.js";

/**
 * The IPv4 networks the host already uses, for the subnet allocator: every interface address with
 * its prefix (also on interfaces that are down, whose routes are gone) and every route but the
 * defaults, in all routing tables. Another kuke run path's bridges show here too, so two run
 * paths on one host do not hand out the same subnet.
 */

/** One network in use, and what uses it (for messages). */
export interface HostNetwork {
  /** `a.b.c.d/p`, the network (host bits cleared). */
  cidr: string;
  /** e.g. `address 10.88.0.1/24 on eth1`, `route 10.0.0.0/8 dev tun0`. */
  what: string;
}

/**
 * Routes broader than this are catch-alls (a VPN's `0.0.0.0/1` + `128.0.0.0/1` pair) that a more
 * specific bridge route is meant to override, as it overrides the default route; narrower ones
 * name networks that a space's /24 would shadow.
 */
export const CATCH_ALL_PREFIX = 8;

interface IpAddr {
  ifname?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}
interface IpRoute {
  dst?: string;
  dev?: string;
  type?: string;
  table?: string;
}

/** Reads the host's networks with `ip -j` (addresses and routes, two cheap calls). */
export async function readHostNetworks(): Promise<HostNetwork[]> {
  const [addrs, routes] = await Promise.all([
    runCommand("ip", ["-j", "-4", "addr", "show"]),
    runCommand("ip", ["-j", "-4", "route", "show", "table", "all"]),
  ]);
  for (const r of [addrs, routes]) {
    if (r.code !== 0) {
      throw new KukeError("runtime", "cannot list the host's addresses and routes (ip -j)", { detail: r.stderr });
    }
  }
  return hostNetworksFrom(JSON.parse(addrs.stdout) as IpAddr[], JSON.parse(routes.stdout) as IpRoute[]);
}

/** The networks in `ip -j -4 addr` and `ip -j -4 route show table all` output. Pure. */
export function hostNetworksFrom(addrs: IpAddr[], routes: IpRoute[]): HostNetwork[] {
  const out = new Map<string, HostNetwork>();
  const add = (cidr: string, what: string) => {
    const [net, prefix] = parseCidr(cidr);
    const key = `${formatIp(net)}/${prefix}`;
    if (!out.has(key)) out.set(key, { cidr: key, what });
  };
  for (const link of addrs) {
    for (const a of link.addr_info ?? []) {
      if (a.family !== "inet" || a.local === undefined || a.prefixlen === undefined) continue;
      add(`${a.local}/${a.prefixlen}`, `address ${a.local}/${a.prefixlen} on ${link.ifname ?? "an interface"}`);
    }
  }
  for (const r of routes) {
    if (r.dst === undefined || r.dst === "default") continue;
    const cidr = r.dst.includes("/") ? r.dst : `${r.dst}/32`;
    if (Number(cidr.split("/")[1]) < CATCH_ALL_PREFIX) continue;
    add(cidr, `route ${r.dst}${r.dev ? ` dev ${r.dev}` : ""}${r.table ? ` (table ${r.table})` : ""}`);
  }
  return [...out.values()];
}

/** True when the two networks share an address. */
export function overlaps(a: string, b: string): boolean {
  const [na, pa] = parseCidr(a);
  const [nb, pb] = parseCidr(b);
  const p = Math.min(pa, pb);
  const size = 2 ** (32 - p);
  return Math.floor(na / size) === Math.floor(nb / size);
}
