import type { CgroupDriver } from "../executors/cgroup/driver.js";
import type { ContainerdExecutor, ContainerRecord } from "../executors/containerd/executor.js";
import {
  type ActualContainer,
  type ActualNamespace,
  type ActualState,
  actualState,
  addressPath,
  type ContainerdOrphan,
  cgroupPath,
  type DesiredState,
  type KukeError,
  LABELS,
  MANAGED_BY,
  monitorRestarts,
  parseAddress,
  type ResourceRecord,
  type TaskStatus,
} from "../model/index.js";
import type { RecordStore } from "../state/record-store.js";
import type { HostInventory } from "./host-inventory.js";

/** What refresh reads the host through; the engine's `Host` satisfies it. */
export interface RefreshSource {
  records: Pick<RecordStore, "loadAll">;
  containerd: Pick<ContainerdExecutor, "listContainers" | "listOrphans">;
  cgroups: Pick<CgroupDriver, "existing">;
  inventory: HostInventory;
}

/** Which parts of the host to look at beyond what kuke's records name. */
export interface RefreshScope {
  /** containerd namespaces of the desired realms; the recorded realms' namespaces are always added. */
  namespaces: string[];
  /** Cgroup paths of desired resources; every recorded resource's cgroup is always checked. */
  cgroupPaths?: string[];
  /** A desired cell publishes ports: read the host's bound sockets (a host port must be free). */
  ports?: boolean;
  /**
   * A desired container has a restart policy: ask containerd which policies its restart monitor
   * enforces. Also asked when a record has one or a listed container is in the monitor's hands.
   */
  restarts?: boolean;
  /** Called once per problem that does not stop the refresh (a corrupt record file). */
  onWarning?: (warning: KukeError) => void;
}

/** The namespaces and cgroup paths of a desired state, for `refresh`. */
export function refreshScopeOf(desired: DesiredState): Omit<RefreshScope, "onWarning"> {
  const paths = [
    ...desired.realms.map((r) => [r.name]),
    ...desired.spaces.map((s) => [s.realm, s.name]),
    ...desired.stacks.map((s) => [s.realm, s.space, s.name]),
    ...desired.cells.flatMap((c) => {
      const cell = [c.realm, c.space, c.stack, c.name];
      return [cell, ...c.spec.containers.map((k) => [...cell, k.id])];
    }),
  ];
  return {
    namespaces: desired.realms.map((r) => r.spec.namespace),
    cgroupPaths: paths.map((p) => cgroupPath(...p)),
    ports: desired.cells.some((c) => c.spec.containers.some((k) => (k.ports ?? []).length > 0)),
    restarts: desired.cells.some((c) => c.spec.containers.some((k) => (k.restartPolicy ?? "no") !== "no")),
  };
}

/**
 * Reads the host in bulk and returns the actual state the planner diffs against: kuke's records,
 * one container listing (plus one task listing) per containerd namespace in parallel, cgroup
 * existence, CNI networks, netns pins, attachments and egress chains. Nothing is written.
 * A namespace that does not exist is absent from `namespaces` (so its containers are "missing").
 * Corrupt record files are passed to `onWarning` and otherwise ignored.
 *
 * containerd answers last (its task listing asks every shim), so its calls go out first: the
 * namespace listing and the listings of the scope's namespaces, before knowing which exist (a
 * listing of a namespace that does not exist is empty, and dropped). The records are read while
 * containerd works, once the namespace listing answered (so the calls are on the socket by then);
 * namespaces only the records name are listed after them, and the cgroups of the scope and of
 * the records are checked last, in one pass.
 */
export async function refresh(host: RefreshSource, scope: RefreshScope): Promise<ActualState> {
  const listings = new Map<string, Promise<NamespaceListing>>();
  const listingOf = (ns: string) => {
    let l = listings.get(ns);
    if (l === undefined) {
      // Awaited below when the namespace exists; a failed listing of one that does not is moot.
      l = handled(listNamespace(host, ns));
      listings.set(ns, l);
    }
    return l;
  };
  const namespaceNames = handled(host.inventory.namespaces());
  for (const ns of scope.namespaces) listingOf(ns);
  const portsRead = scope.ports ? handled(host.inventory.boundPorts()) : Promise.resolve(undefined);
  // Once containerd answered the first call, the others are on the socket: what is read
  // synchronously from here on (CNI state, records, cgroups) does not hold them back.
  await namespaceNames.then(
    () => undefined,
    () => undefined,
  );
  const networksRead = handled(host.inventory.networks());
  const pinsRead = handled(host.inventory.pinnedNetns());
  const attachmentsRead = handled(host.inventory.attachments());

  const loaded = await host.records.loadAll();
  for (const c of loaded.corrupt) scope.onWarning?.(c.error);
  const records: Record<string, ResourceRecord> = {};
  for (const r of loaded.records) records[r.address] = r;

  const wanted = new Set(scope.namespaces);
  for (const r of loaded.records) {
    const ns = r.extra.namespace ?? (r.kind === "realm" ? (r.view.spec.namespace as string | undefined) : undefined);
    if (typeof ns === "string" && ns !== "") wanted.add(ns);
  }
  // The namespace listing answered above: a namespace only the records name is listed now.
  const existing = await namespaceNames;
  const present = [...wanted].filter((ns) => existing.includes(ns)).sort();
  for (const ns of present) listingOf(ns);
  // An egress chain only matters for a recorded space with a policy (drift: chain missing); a chain
  // left without one is removed by `network.remove` anyway. Without such a space, no iptables call.
  const hasEgress = loaded.records.some(
    (r) => r.kind === "space" && (r.view.spec.network as { egress?: unknown } | undefined)?.egress !== undefined,
  );
  const egressRead = hasEgress ? handled(host.inventory.egressChains()) : Promise.resolve([]);
  // The monitor's facts only matter for containers with a restart policy (an introspection RPC
  // and one more .proto to load otherwise): asked up front when one is desired or recorded.
  const restartsRecorded = loaded.records.some(
    (r) => r.kind === "container" && (r.view.spec.restartPolicy ?? "no") !== "no",
  );
  const askMonitor = () =>
    // Unknown (an old or unusual daemon): planned as for containerd 1.6's monitor.
    host.inventory.restartMonitor().catch(() => undefined);
  const monitorRead = scope.restarts || restartsRecorded ? askMonitor() : Promise.resolve(undefined);

  // The cgroups of the scope and of every record, in one pass once the records are read and every
  // other read is under way: the driver lists synchronously (hundreds of small directory listings,
  // one per parent and hierarchy, which through the thread pool queued ahead of the reads above),
  // while containerd, whose answers come last, works on the calls already on the socket.
  const cgroupPaths = new Set(scope.cgroupPaths ?? []);
  for (const r of loaded.records) cgroupPaths.add(cgroupPath(...addressPath(parseAddress(r.address))));
  const cgroupsRead = handled(host.cgroups.existing([...cgroupPaths]));

  const [found, networks, netnsPinned, attachments, egressChains, boundPorts, monitorAsked] = await Promise.all([
    cgroupsRead,
    networksRead,
    pinsRead,
    attachmentsRead,
    egressRead,
    portsRead,
    monitorRead,
  ]);
  const cgroups = [...found].sort();
  const listed = await Promise.all(present.map(listingOf));
  const namespaces: Record<string, ActualNamespace> = {};
  present.forEach((ns, i) => {
    namespaces[ns] = listed[i]!.namespace;
  });
  const orphans = listed.flatMap((l) => l.orphans);
  const monitored = listed.some((n) => Object.values(n.namespace.containers).some((c) => monitorRestarts(c.labels)));
  const restartMonitor = monitorAsked ?? (monitored ? await askMonitor() : undefined);
  return actualState({
    records,
    namespaces,
    cgroups,
    networks,
    netnsPinned,
    attachments,
    egressChains,
    ...(boundPorts ? { boundPorts } : {}),
    ...(restartMonitor ? { restartMonitor } : {}),
    orphans,
  });
}

/** `p`, marked as handled: it is awaited later, and may reject before that. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/**
 * One namespace, one container listing and one task listing: kuke's containers with their tasks,
 * plus any other container (an id kuke may collide with); alongside, one snapshot and one lease
 * listing for kuke's orphans (the snapshots no listed container uses).
 */
interface NamespaceListing {
  namespace: ActualNamespace;
  orphans: ContainerdOrphan[];
}

async function listNamespace(host: RefreshSource, ns: string): Promise<NamespaceListing> {
  const listing = host.containerd.listContainers(ns, { all: true });
  const used = listing.then((cs) => cs.flatMap((c) => (c.snapshotKey ? [c.snapshotKey] : [])));
  // Settled even when the listing fails, so a failed listing is reported once (below), not twice.
  used.catch(() => undefined);
  const [listed, orphans] = await Promise.all([listing, host.containerd.listOrphans(ns, used)]);
  const containers: Record<string, ActualContainer> = {};
  for (const c of listed) {
    // Not kuke's: its task does not matter, only that the id is taken.
    containers[c.id] =
      c.labels[LABELS.managedBy] === MANAGED_BY
        ? toActual(c)
        : { id: c.id, labels: c.labels, image: c.image, task: { status: "missing" } };
  }
  return { namespace: { containers }, orphans };
}

function toActual(c: ContainerRecord): ActualContainer {
  const status: TaskStatus = !c.hasTask ? "missing" : c.status === "unknown" ? "stopped" : c.status;
  return {
    id: c.id,
    labels: c.labels,
    image: c.image,
    task: {
      status,
      ...(c.exitStatus !== undefined && status === "stopped" ? { exitCode: c.exitStatus } : {}),
      ...(c.pid !== undefined && status !== "stopped" ? { pid: c.pid } : {}),
    },
  };
}
