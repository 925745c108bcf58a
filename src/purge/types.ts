/**
 * What purge finds on the host and what it did about it. Plain data, so `kuke purge` can print or
 * `--json` it, and a dry run can show the found objects without touching them.
 */
import type { CgroupDriver } from "../executors/cgroup/driver.js";
import type { NetworkExecutor } from "../executors/cni/network-executor.js";
import type { ContainerdExecutor } from "../executors/containerd/executor.js";

/** The host adapters purge works through; the same ones the engine uses. */
export interface PurgeDeps {
  containerd: Pick<ContainerdExecutor, "listContainers" | "stopTask" | "deleteContainer" | "deleteNamespace">;
  /** Configured with the run path and runtime dir to clean (its CNI state and netns pins live there). */
  network: Pick<
    NetworkExecutor,
    "detach" | "unpin" | "isPinned" | "removeSpaceNetwork" | "leaks" | "pinner" | "subnets" | "configDir" | "resultsDir"
  >;
  cgroups: Pick<CgroupDriver, "remove">;
  /** The realm's containerd namespace. @default `<realm>.kukeon.io` */
  namespace?: string;
  /** kuke's run path, for container logs (`<runPath>/logs/…`); without it logs are left alone. */
  runPath?: string;
  /** kuke's runtime dir, for secret files (`<runtimeDir>/secrets/…`); without it they are left alone. */
  runtimeDir?: string;
  /** Mount points of the cgroup hierarchies to search. @default every cgroup/cgroup2 mount */
  cgroupMounts?: string[];
}

/** A kuke-labelled containerd container in scope (its task and rootfs snapshot go with it). */
export interface FoundContainer {
  id: string;
  /** Address from its labels. */
  address: string;
  hasTask: boolean;
  status: string;
}

/** A cell's network leftovers (its pin, CNI attachment record and masquerade chain). */
export interface FoundCell {
  /** Cell address string. */
  address: string;
  netns: string;
  /** Pin path, when a namespace is mounted there or the pin file is left behind. */
  pin?: string;
  /** Attachment record file (the CNI ADD result that DEL needs). */
  attachment?: string;
  /** The bridge plugin's per-attachment nat chain, when it exists. */
  natChain?: string;
}

/** A space's network, found because the scope is its realm or the space itself. */
export interface FoundSpace {
  realm: string;
  space: string;
  network: string;
  bridge?: string;
  conflist?: string;
  ipamFiles: string[];
  subnet?: string;
  egressChain?: string;
}

export interface Discovery {
  /** Address string of the scope. */
  scope: string;
  namespace: string;
  containers: FoundContainer[];
  cells: FoundCell[];
  spaces: FoundSpace[];
  /** The scope's cgroup path (`/kukeon/<realm>/…`) and its directories found in any hierarchy, deepest first. */
  cgroup: { path: string; dirs: string[] };
  /** Log files or directories of the scope under the run path. */
  logs: string[];
  /** Secret file directories of the scope under the runtime dir (left by a failed or interrupted apply). */
  secrets: string[];
}

/**
 * `removed`: not on the host any more (for the namespace, which cannot be listed through the
 * port, also when it was not there); `kept`: deliberately left (a namespace still holding images);
 * `failed`: still there, see `detail`.
 */
export type PurgeOutcome = "removed" | "failed" | "kept";

export interface PurgeItem {
  kind:
    | "container"
    | "cni-attachment"
    | "netns-pin"
    | "nat-chain"
    | "network"
    | "cgroup"
    | "logs"
    | "secrets"
    | "namespace";
  /** What it is on the host: a containerd id, a path, a chain or network name. */
  name: string;
  outcome: PurgeOutcome;
  /** Why it failed or was kept. */
  detail?: string;
}

export interface PurgeReport {
  scope: string;
  items: PurgeItem[];
  removed: number;
  failed: number;
}
