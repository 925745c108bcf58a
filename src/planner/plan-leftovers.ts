/**
 * Leftovers: what an interrupted or partly failed apply made on the host but did not record. Labels
 * (and, for cells, the netns pin and CNI attachment named after the cell; for spaces, the subnet
 * allocation and conflist) say kuke made them, so they are kuke's to repair or remove — never
 * "unmanaged, in the way".
 *
 * A resource whose create is not idempotent (a container, a cell with its root task, pin and
 * attachment) is *replaced* when it has leftovers: what is there is torn down and made afresh. The
 * other kinds are ensured idempotently, so a plain create already repairs them; destroy still has
 * to find their leftovers, which `hasHostState` answers.
 */
import {
  type ActualState,
  addressPath,
  type CellAddress,
  cgroupPath,
  egressChainName,
  netnsName,
  networkName,
  parseAddress,
} from "../model/index.js";

export const LEFT_BEHIND = "left behind by an interrupted apply";

/** Containers of a cell known to the host: recorded ones and labeled ones, by address string, sorted. */
export function cellContainerKeys(actual: ActualState, cellKey: string): string[] {
  const prefix = `container/${cellKey.slice("cell/".length)}/`;
  const keys = new Set<string>();
  for (const k of Object.keys(actual.records)) if (k.startsWith(prefix)) keys.add(k);
  for (const k of Object.keys(actual.labeled)) if (k.startsWith(prefix)) keys.add(k);
  return [...keys].sort();
}

/**
 * An unrecorded container (or cell) that kuke made: a container whose labels name `key`; a cell
 * with a recorded or labeled container inside, its netns pin or its CNI attachment. Recorded
 * resources are never leftovers (drift handles them).
 */
export function isLeftover(actual: ActualState, key: string): boolean {
  if (actual.records[key] !== undefined) return false;
  const a = parseAddress(key);
  if (a.kind === "container") return actual.labeled[key] !== undefined;
  if (a.kind === "cell") {
    const ns = netnsName(a);
    return (
      cellContainerKeys(actual, key).length > 0 ||
      actual.netnsPinned.includes(ns) ||
      actual.attachments[ns] !== undefined
    );
  }
  return false;
}

/**
 * Anything of `key` on the host, recorded or not: its record, a leftover, its cgroup, a realm's
 * namespace, a space's network or egress chain. Destroy deletes what this answers true for.
 */
export function hasHostState(actual: ActualState, key: string): boolean {
  if (actual.records[key] !== undefined || isLeftover(actual, key)) return true;
  const a = parseAddress(key);
  if (actual.cgroups.includes(cgroupPath(...addressPath(a)))) return true;
  switch (a.kind) {
    case "realm":
      return false; // a namespace alone may be images staged with `kuke image load`: not kuke's to remove
    case "space": {
      const net = actual.networks[networkName(a.realm, a.space)];
      return net !== undefined || actual.egressChains.includes(egressChainName(a.realm, a.space));
    }
    default:
      return false;
  }
}

/** The netns pin or CNI attachment of a cell is on the host. */
export function cellNetworkPresent(actual: ActualState, cell: CellAddress): boolean {
  const ns = netnsName(cell);
  return actual.netnsPinned.includes(ns) || actual.attachments[ns] !== undefined;
}
