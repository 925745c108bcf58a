/**
 * What refresh reports about the host: raw host facts keyed the way the host names things
 * (`HostFacts`), and the per-address view built from them (`ActualState`), and `actualState()`, which builds the latter. Refresh fills `HostFacts` from bulk
 * listings; tests build facts by hand. The types are plain JSON data.
 */

import type { ResourceKind } from "./address.js";
import { type Address, addressPath, containerAddress, formatAddress, parseAddress, realmAddress } from "./address.js";
import { cgroupPath, containerdId, egressChainName, LABELS, MANAGED_BY, netnsName, networkName } from "./host-names.js";
import { isValidName } from "./names.js";
import { defaultNamespace } from "./normalize.js";
import type { ResourceRecord } from "./records.js";
import type { RestartMonitorFacts } from "./restart-policy.js";

export type TaskStatus = "created" | "running" | "stopped" | "paused" | "missing";

/** A containerd container as listed by refresh (managed by kuke or not). */
export interface ActualContainer {
  id: string;
  labels: Record<string, string>;
  image: string;
  task: { status: TaskStatus; exitCode?: number; pid?: number };
}

/** One containerd namespace that exists, with every container in it (by containerd id). */
export interface ActualNamespace {
  containers: Record<string, ActualContainer>;
}

export interface ActualNetwork {
  /** The space's conflist file is present in the run path. */
  conflistPresent: boolean;
  /** The allocated subnet, when the allocation exists. */
  subnet?: string;
}

export interface ActualAttachment {
  ip: string;
  /** The attached cell's address; absent in records written before kuke kept it. */
  cell?: string;
  /** The CNI network (`networkName()`) the cell is attached to. */
  network?: string;
  /** Published ports, canonical (`formatPortMapping`); absent in records written before kuke published ports. */
  ports?: string[];
  gateway?: string;
  mac?: string;
}

/**
 * Raw host facts, each keyed the way the host names things (`src/model/host-names.ts`), so refresh
 * fills it from bulk listings without knowing about addresses.
 */
export interface HostFacts {
  /** kuke's records, by address string. */
  records: Record<string, ResourceRecord>;
  /** containerd namespaces that exist, by namespace name. */
  namespaces: Record<string, ActualNamespace>;
  /** Cgroup paths that exist (as `cgroupPath()` spells them). */
  cgroups: string[];
  /** CNI networks by `networkName()`. */
  networks: Record<string, ActualNetwork>;
  /** `netnsName()`s whose pin exists under the runtime dir. */
  netnsPinned: string[];
  /** CNI attachments by `netnsName()`. */
  attachments: Record<string, ActualAttachment>;
  /** Egress chain names (`egressChainName()`) present in iptables. */
  egressChains: string[];
  /** Sockets processes on the host hold (read only when a desired cell publishes ports). */
  boundPorts?: BoundPort[];
  /** containerd's restart monitor; absent when not read (`--refresh=false`). */
  restartMonitor?: RestartMonitorFacts;
  /**
   * What each desired container's secret sources hold, by container address string, then secret
   * name. Absent when the sources were not read (`--refresh=false`, imperative verbs): containers
   * then keep whatever `valueHash` their spec already carries.
   */
  secretDigests?: Record<string, Record<string, SecretDigest>>;
  /**
   * What each desired container's image reference names, by container address string, as its
   * pull policy says to find out (registry or local image record). Absent when images were not
   * looked at (`--refresh=false`, imperative verbs): containers keep the digest they recorded.
   */
  imageDigests?: Record<string, ImageDigest>;
  /**
   * Keyed digests of each desired realm's registry passwords, by realm name, in the order the realm
   * lists its credentials: what records keep instead of the password. Absent when not read; a
   * password then shows as `SENSITIVE_UNREAD` (never as an unkeyed hash).
   */
  credentialDigests?: Record<string, string[]>;
  /**
   * What is left of the subnet pool, read only when desired spaces have no subnet yet (absent
   * otherwise, and without refresh): the planner refuses more new spaces than free /24s.
   */
  subnetPool?: SubnetPoolFacts;
  /** The CNI plugins on the host; absent when not read (no network in the desired state, no refresh). */
  cniPlugins?: CniPluginFacts;
  /** The cgroup controllers limits can use; absent when not read (no limit desired, no refresh). */
  cgroupControllers?: CgroupControllerFacts;
  /**
   * kuke's orphans in the listed containerd namespaces (what a killed kuke left: snapshots no
   * container uses, leases whose kuke is gone), sorted by namespace, object and id. Absent when
   * not read (`--refresh=false`).
   */
  orphans?: ContainerdOrphan[];
}

/**
 * An object kuke made in a containerd namespace that nothing of kuke's uses any more: a rootfs
 * snapshot prepared for a container that was never created (or whose record went without it), or
 * a lease whose kuke process is gone or that expired. Found by kuke's labels, never by id pattern.
 */
export interface ContainerdOrphan {
  object: "snapshot" | "lease";
  namespace: string;
  /** The snapshot key or the lease id. */
  id: string;
  /** Address of the container its `kukeon.io/*` labels name, when it carries all of them. */
  container?: string;
  /** Why it is an orphan, e.g. `no container uses it`, `its kuke (pid 4242) is gone`. */
  why: string;
}

/** Where CNI plugins are looked for, and which of the plugins kuke runs were found there. */
export interface CniPluginFacts {
  /** Directories searched, in order. */
  dirs: string[];
  /** Each plugin type kuke may run (bridge, host-local, loopback, portmap) → found in one of `dirs`. */
  present: Record<string, boolean>;
}

/** The cgroup controllers kuke's tree can use on this host (of those its limits write). */
export interface CgroupControllerFacts {
  version: "v1" | "v2";
  /** Of `cpu`, `memory`, `pids`: those available (v2: in the root's `cgroup.controllers`; v1: mounted). */
  available: string[];
}

/** The subnet pool as the allocator sees it: its /24s, and why the ones not free are taken. */
export interface SubnetPoolFacts {
  pool: string;
  size: number;
  /** /24s recorded for kuke's spaces of this run path. */
  allocated: number;
  /** Other /24s the host's addresses or routes use, each as `10.88.0.0/24: address 10.88.0.1/24 on eth1`. */
  hostOverlaps: string[];
  free: number;
}

/** A listening TCP or bound UDP socket on the host. */
export interface BoundPort {
  protocol: "tcp" | "udp";
  /** Local address: `0.0.0.0` or `::` for every address. */
  address: string;
  port: number;
}

/** A secret source as read at plan time: the digest of its value, or why it could not be read. */
export type SecretDigest =
  | { valueHash: string }
  | {
      /** One line naming the secret and its source (never its value), e.g. `secret token: cannot read /run/token (ENOENT)`. */
      problem: string;
      /** What to do about it, when known. */
      remedy?: string;
    };

/** An image reference as resolved at plan time: its digest, or why it has none. */
export type ImageDigest =
  | {
      /** `sha256:<hex>` of the manifest or index the reference names. */
      digest: string;
      /** An image record with this digest is in the realm's namespace already. */
      present: boolean;
      /** Why this digest may be out of date (the registry could not be asked; the local one is used). */
      warning?: string;
    }
  | {
      /** One line naming the image and why it has no digest (not present and cannot be pulled). */
      problem: string;
      /** What the registry answered, when it was asked. */
      detail?: string;
      remedy: string;
    };

/** What the host has for one address, derived from `HostFacts` by `actualState()`. */
export interface ActualResource {
  address: string;
  kind: ResourceKind;
  record?: ResourceRecord;
  /** All kinds: the resource's cgroup exists. */
  cgroupPresent: boolean;
  /** Realm: its containerd namespace exists. */
  namespacePresent?: boolean;
  /** Space: network state. */
  network?: { name: string; conflistPresent: boolean; subnet?: string; egressChainPresent: boolean };
  /** Cell: netns pin and CNI attachment. */
  netns?: { name: string; pinned: boolean; attachment?: ActualAttachment };
  /** Container: what containerd has under the recorded id (null when it is gone). */
  container?: ActualContainer | null;
}

/** A container that carries kuke's labels, found by refresh whether or not kuke recorded it. */
export interface LabeledContainer {
  /** containerd namespace it lives in. */
  namespace: string;
  container: ActualContainer;
  /** From the `kukeon.io/role` label. */
  role: "root" | "workload";
}

/** Host facts plus a per-address view of every recorded resource. */
export interface ActualState extends HostFacts {
  resources: Record<string, ActualResource>;
  /**
   * kuke's containers by the container address their labels name (labels are the source of truth
   * about what kuke made). One without a record is kuke's own leftover from an interrupted apply.
   */
  labeled: Record<string, LabeledContainer>;
}

/** The containerd namespace a realm uses: as recorded, else as its recorded spec says, else the default. */
export function recordedNamespace(facts: HostFacts, realm: string): string {
  const rec = facts.records[formatAddress(realmAddress(realm))];
  const ns = rec?.extra.namespace ?? rec?.view.spec.namespace;
  return typeof ns === "string" && ns !== "" ? ns : defaultNamespace(realm);
}

export function actualState(facts: HostFacts): ActualState {
  const cgroups = new Set(facts.cgroups);
  const pinned = new Set(facts.netnsPinned);
  const chains = new Set(facts.egressChains);
  const resources: Record<string, ActualResource> = {};
  for (const key of Object.keys(facts.records).sort()) {
    const record = facts.records[key]!;
    const a: Address = parseAddress(key);
    const r: ActualResource = {
      address: key,
      kind: a.kind,
      record,
      cgroupPresent: cgroups.has(cgroupPath(...addressPath(a))),
    };
    switch (a.kind) {
      case "realm":
        r.namespacePresent = facts.namespaces[recordedNamespace(facts, a.realm)] !== undefined;
        break;
      case "space": {
        const name = networkName(a.realm, a.space);
        const net = facts.networks[name];
        r.network = {
          name,
          conflistPresent: net?.conflistPresent ?? false,
          ...(net?.subnet !== undefined ? { subnet: net.subnet } : {}),
          egressChainPresent: chains.has(egressChainName(a.realm, a.space)),
        };
        break;
      }
      case "cell": {
        const name = netnsName(a);
        const attachment = facts.attachments[name];
        r.netns = { name, pinned: pinned.has(name), ...(attachment ? { attachment } : {}) };
        break;
      }
      case "container": {
        const ns = record.extra.namespace ?? recordedNamespace(facts, a.realm);
        const id = record.extra.containerdId ?? containerdId(a);
        r.container = facts.namespaces[ns]?.containers[id] ?? null;
        break;
      }
      case "stack":
        break;
    }
    resources[key] = r;
  }
  return { ...facts, resources, labeled: labeledContainers(facts) };
}

/** kuke's containers by the address their labels name; a container with incomplete labels is not kuke's. */
function labeledContainers(facts: HostFacts): Record<string, LabeledContainer> {
  const out: Record<string, LabeledContainer> = {};
  for (const namespace of Object.keys(facts.namespaces).sort()) {
    for (const c of Object.values(facts.namespaces[namespace]!.containers)) {
      const key = labeledAddress(c.labels);
      if (key === undefined) continue;
      out[key] = { namespace, container: c, role: c.labels[LABELS.role] === "root" ? "root" : "workload" };
    }
  }
  return out;
}

/**
 * The container address kuke's labels name (`kukeon.io/realm` … `/container` and
 * `kuke.dev/managed-by=kuke`), as a string; undefined when any of them is missing or not a name.
 */
export function labeledAddress(l: Readonly<Record<string, string>>): string | undefined {
  if (l[LABELS.managedBy] !== MANAGED_BY) return undefined;
  const names = [l[LABELS.realm], l[LABELS.space], l[LABELS.stack], l[LABELS.cell], l[LABELS.container]];
  if (!names.every((n): n is string => n !== undefined && isValidName(n))) return undefined;
  const [realm, space, stack, cell, container] = names as [string, string, string, string, string];
  return formatAddress(containerAddress(realm, space, stack, cell, container));
}
