/**
 * What purge's discovery finds on the host, and what the purge of it did. Plain data, so `kuke
 * purge` can print or `--json` it.
 */
import type { NetworkExecutor } from "../executors/cni/network-executor.js";
import type { ContainerdExecutor } from "../executors/containerd/executor.js";
import type { ContainerdOrphan } from "../model/index.js";
import type { RecordStore } from "../state/record-store.js";

/** What discovery reads the host through: listings only, nothing here changes anything. */
export interface DiscoverySource {
  containerd: Pick<ContainerdExecutor, "listContainers" | "listNamespaces" | "listOrphans">;
  /** Configured with the run path and runtime dir to look in (its CNI state and netns pins live there). */
  network: Pick<NetworkExecutor, "isPinned" | "leaks" | "pinner" | "listNetworks" | "listAttachments">;
  /** kuke's records, to count the files purge will forget (good or corrupt). Without it none are. */
  records?: Pick<RecordStore, "filesUnder">;
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
  /** Held by containerd's restart monitor: its container.delete takes it back before the kill. */
  monitored: boolean;
}

/** A cell's network leftovers (its pin, CNI attachment record and masquerade chain). */
export interface FoundCell {
  /** Cell address string. */
  address: string;
  netns: string;
  /** Pin path, when a namespace is mounted there or the pin file is left behind. */
  pin?: string;
  /** Its CNI attachment is recorded (the ADD result that DEL needs). */
  attached?: true;
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
  /** The space's masquerade chain in the nat table, when it exists. */
  masqueradeChain?: string;
}

export interface Discovery {
  /** Address string of the scope. */
  scope: string;
  namespace: string;
  /** The realm's namespace exists in containerd (read for a realm's purge only; false otherwise). */
  namespaceFound: boolean;
  containers: FoundContainer[];
  /**
   * kuke's orphans in the namespace (what a killed kuke left): those whose labels name a container
   * in scope, and for a realm every one of the namespace.
   */
  orphans: ContainerdOrphan[];
  cells: FoundCell[];
  spaces: FoundSpace[];
  /** The scope's cgroup path (`/kukeon/<realm>/…`) and its directories found in any hierarchy, deepest first. */
  cgroup: { path: string; dirs: string[] };
  /** Log files or directories of the scope under the run path. */
  logs: string[];
  /** Secret file directories of the scope under the runtime dir (left by a failed or interrupted apply). */
  secrets: string[];
  /** Record files of the scope and everything inside it, good or corrupt. */
  records: string[];
}

/**
 * `removed`: not on the host any more; `kept`:
 * deliberately left (a namespace still holding images); `failed`: still there, see `detail`;
 * `skipped`: not tried because something it needs gone first failed; `not-started`: cancelled.
 */
export type PurgeOutcome = "removed" | "failed" | "kept" | "skipped" | "not-started";

export interface PurgeItem {
  kind:
    | "container"
    | "cni-attachment"
    | "netns-pin"
    | "network"
    | "cgroup"
    | "logs"
    | "secrets"
    | "records"
    | "namespace"
    | "snapshot"
    | "lease";
  /** What it is on the host: a containerd id, a path, a network or namespace name. */
  name: string;
  outcome: PurgeOutcome;
  /** Why it failed, was skipped or was kept. */
  detail?: string;
}

export interface PurgeReport {
  scope: string;
  items: PurgeItem[];
  removed: number;
  failed: number;
  /** Items skipped or not started (a failure they depend on, or Ctrl-C). */
  notDone: number;
}
