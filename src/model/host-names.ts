import { createHash } from "node:crypto";
import type { CellAddress, ContainerAddress } from "./address.js";

/**
 * Names kuke gives to things on the host (DESIGN §3). Pure functions of addresses, so refresh can
 * find what apply made without any record. Nothing ever parses these back: discovery reads labels.
 */

/** containerd refuses ids longer than this. */
export const CONTAINERD_ID_MAX = 76;

function shortHash(text: string, hexChars: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, hexChars);
}

/**
 * `<space>_<stack>_<cell>_<container>`; unambiguous because names cannot contain `_`. A longer id
 * keeps a readable prefix and ends with a hash of the whole, so distinct addresses stay distinct.
 */
export function containerdId(a: ContainerAddress): string {
  const full = `${a.space}_${a.stack}_${a.cell}_${a.container}`;
  if (full.length <= CONTAINERD_ID_MAX) return full;
  const hash = shortHash(`${a.realm}/${full}`, 16);
  return `${full.slice(0, CONTAINERD_ID_MAX - hash.length - 1)}-${hash}`;
}

/** Label keys on every containerd object kuke makes. */
export const LABELS = {
  realm: "kukeon.io/realm",
  space: "kukeon.io/space",
  stack: "kukeon.io/stack",
  cell: "kukeon.io/cell",
  container: "kukeon.io/container",
  role: "kukeon.io/role",
  specHash: "kukeon.io/spec-hash",
  managedBy: "kuke.dev/managed-by",
} as const;
export const MANAGED_BY = "kuke";

/**
 * On a containerd image record: the registry kuke pulled it from. Plan asks that registry again
 * what the tag names (pull policy `IfNotPresent`); an image without it was staged some other way
 * (`kuke image load`) and is used as it is.
 */
export const IMAGE_PULLED_FROM_LABEL = "kuke.dev/source-registry";

export function containerLabels(a: ContainerAddress, role: "root" | "workload", hash: string): Record<string, string> {
  return {
    [LABELS.realm]: a.realm,
    [LABELS.space]: a.space,
    [LABELS.stack]: a.stack,
    [LABELS.cell]: a.cell,
    [LABELS.container]: a.container,
    [LABELS.role]: role,
    [LABELS.specHash]: hash,
    [LABELS.managedBy]: MANAGED_BY,
  };
}

/** Cgroup path relative to the cgroup root: `/kukeon/<realm>/<space>/<stack>/<cell>/<container>`. */
export function cgroupPath(...names: string[]): string {
  return `/kukeon/${names.join("/")}`;
}

/** CNI network name of a space: `kuke_<realm>_<space>`. */
export function networkName(realm: string, space: string): string {
  return `kuke_${realm}_${space}`;
}

/** Linux bridge of a space: `k-` + 8 hex of a hash of `<realm>/<space>` (interface names cap at 15). */
export function bridgeName(realm: string, space: string): string {
  return `k-${shortHash(`${realm}/${space}`, 8)}`;
}

/** File name of a cell's pinned network namespace under `<runtime dir>/netns/`. */
export function netnsName(a: CellAddress): string {
  return `${a.realm}_${a.space}_${a.stack}_${a.cell}`;
}

/** iptables chain of a space's egress policy (chain names cap at 28 characters). */
/** What every egress chain name starts with, so a listing can tell kuke's chains apart. */
export const EGRESS_CHAIN_PREFIX = "KUKE-EG-";

export function egressChainName(realm: string, space: string): string {
  return `${EGRESS_CHAIN_PREFIX}${shortHash(`${realm}/${space}`, 12).toUpperCase()}`;
}

/** nat chain that masquerades a space's outgoing traffic, one per space (chain names cap at 28 characters). */
export function masqueradeChainOfSpace(realm: string, space: string): string {
  return `KUKE-MQ-${shortHash(`${realm}/${space}`, 12).toUpperCase()}`;
}
