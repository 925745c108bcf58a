import type { EngineNetwork, Host } from "../engine/index.js";
import { detectCgroupDriver } from "../executors/cgroup/detect.js";
import type { CgroupDriver } from "../executors/cgroup/driver.js";
import { NetworkExecutor } from "../executors/cni/network-executor.js";
import { createContainerdExecutor } from "../executors/containerd/executor.js";
import type { DiscoverySource } from "../purge/index.js";
import { hostInventory } from "../refresh/host-inventory.js";
import { JournalStore, RecordStore, RunLock, runPathLayout } from "../state/index.js";
import { type HostPaths, resolveContainerd } from "./host-paths.js";

export interface HostOptions {
  /** kuke's run path (records, journal, lock, CNI state, logs). No default here: callers decide. */
  runPath: string;
  /** Runtime directory (netns pins, secret files). */
  runtimeDir: string;
  /** containerd socket path or `unix:///…`. */
  containerdAddress: string;
  /** runc state directory for a managed or test containerd. @default the shim's own */
  runcRoot?: string;
  /** How long a containerd call retries while containerd restarts. @default 20000 */
  containerdRetryMs?: number;
  /** Pool each space's /24 comes from. @default "10.88.0.0/16" */
  subnetPool?: string;
  /** CNI plugin directories. @default ["/opt/cni/bin", "/usr/lib/cni"] */
  pluginDirs?: string[];
  /** The cgroup driver. @default detectCgroupDriver() */
  cgroups?: CgroupDriver;
}

/** Builds the host context over real executors. Nothing is touched until a method is called. */
export async function openHost(options: HostOptions): Promise<Host> {
  const layout = runPathLayout(options.runPath);
  const cgroups = options.cgroups ?? (await detectCgroupDriver());
  const network = new NetworkExecutor({
    runPath: options.runPath,
    runtimeDir: options.runtimeDir,
    ...(options.subnetPool !== undefined ? { subnetPool: options.subnetPool } : {}),
    ...(options.pluginDirs !== undefined ? { pluginDirs: options.pluginDirs } : {}),
  });
  const containerd = createContainerdExecutor(options.containerdAddress, {
    ...(options.runcRoot !== undefined ? { runcRoot: options.runcRoot } : {}),
    ...(options.containerdRetryMs !== undefined ? { retryMs: options.containerdRetryMs } : {}),
  });
  const inventory = hostInventory(containerd, network);
  return {
    containerd,
    network: networkPort(network),
    cgroups,
    inventory,
    records: new RecordStore(layout),
    journal: new JournalStore(layout),
    lock: new RunLock(layout),
    runPath: options.runPath,
    runtimeDir: options.runtimeDir,
    logDir: layout.logs,
    close() {
      containerd.close();
      inventory.close();
    },
  };
}

function networkPort(n: NetworkExecutor): EngineNetwork {
  return {
    ensureSpaceNetwork: (realm, space) => n.ensureSpaceNetwork(realm, space),
    removeSpaceNetwork: (realm, space) => n.removeSpaceNetwork(realm, space),
    pin: (cell, pid) => n.pin(cell, pid),
    unpin: (cell) => n.unpin(cell),
    attach: (cell, ports, options) => n.attach(cell, ports, options),
    setPorts: (cell, ports) => n.setPorts(cell, ports),
    listAttachments: () => n.listAttachments(),
    detach: (cell) => n.detach(cell),
    applyEgress: (realm, space, policy) => n.applyEgress(realm, space, policy),
    removeEgress: (realm, space) => n.removeEgress(realm, space),
    pinPath: (cell) => n.pinner.pathOf(cell),
  };
}

/**
 * What purge's discovery lists the host through, over the same paths as `host` (the network
 * executor's listings of CNI state and pins are not part of the engine's narrow network port).
 */
export function discoverySource(host: Host, namespace?: string): DiscoverySource {
  return {
    containerd: host.containerd,
    network: new NetworkExecutor({ runPath: host.runPath, runtimeDir: host.runtimeDir }),
    records: host.records,
    runPath: host.runPath,
    runtimeDir: host.runtimeDir,
    ...(namespace !== undefined ? { namespace } : {}),
  };
}

/** Opens the host (executors, records, lock, journal) over the containerd that answers. */
export async function openHostAt(paths: HostPaths): Promise<Host> {
  const ctd = await resolveContainerd(paths);
  return openHost({
    runPath: paths.runPath,
    runtimeDir: paths.runtimeDir,
    containerdAddress: ctd.address,
    ...(paths.runcRoot || ctd.runcRoot ? { runcRoot: paths.runcRoot ?? ctd.runcRoot } : {}),
    ...(paths.containerdRetryMs !== undefined ? { containerdRetryMs: paths.containerdRetryMs } : {}),
  });
}

/**
 * A host opened while the caller does something else first: `kuke plan` reads and checks its
 * manifests meanwhile, so the containerd probe (a connection and a round trip) and the cgroup
 * layout (the mount table) are not waited for one after the other (issue 13). Nothing is asked
 * of the host that opening it does not ask anyway.
 */
export interface HostAhead {
  /**
   * `paths` with the host to use: the one opened ahead, owned by whoever called `openHostAhead`
   * (closed by `close`). Rejects as `openHostAt` does when no containerd answers.
   */
  paths(): Promise<HostPaths>;
  /** Closes the host once it is open; an opening that failed, or was never asked for, is dropped. */
  close(): void;
}

/** Starts opening the host of `paths` (unless one is injected there) for `HostAhead.paths` to take. */
export function openHostAhead(paths: HostPaths): HostAhead {
  if (paths.host !== undefined) return { paths: async () => paths, close: () => undefined };
  const opening = openHostAt(paths);
  // Its failure is reported by `paths()`, or not at all (invalid files are reported instead).
  opening.catch(() => undefined);
  return {
    paths: async () => ({ ...paths, host: await opening }),
    close: () => {
      opening.then(
        (host) => host.close(),
        () => undefined,
      );
    },
  };
}
