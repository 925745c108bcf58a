import { join } from "node:path";
import { detectCgroupDriver } from "../executors/cgroup/detect.js";
import type { CgroupDriver } from "../executors/cgroup/driver.js";
import { NetworkExecutor } from "../executors/cni/network-executor.js";
import { type ContainerdExecutor, createContainerdExecutor } from "../executors/containerd/executor.js";
import type { CellAddress } from "../model/address.js";
import { type HostInventory, hostInventory } from "../refresh/host-inventory.js";
import { JournalStore } from "../state/apply-journal.js";
import { RecordStore } from "../state/record-store.js";
import { RunLock } from "../state/run-lock.js";
import { runPathLayout } from "../state/run-path.js";

/** The network operations the engine runs (a subset of `NetworkExecutor`, so tests can fake it). */
export type EngineNetwork = Pick<
  NetworkExecutor,
  "ensureSpaceNetwork" | "removeSpaceNetwork" | "pin" | "unpin" | "attach" | "detach" | "applyEgress" | "removeEgress"
> & {
  /** Path of the cell's pinned network namespace (workloads join the cell's network through it). */
  pinPath(cell: CellAddress): string;
};

/**
 * Everything a run needs to touch the host: the executors, kuke's state stores and the paths
 * they use. One object, built once per command by `openHost` (or by hand in tests, with fakes).
 */
export interface Host {
  containerd: ContainerdExecutor;
  network: EngineNetwork;
  cgroups: CgroupDriver;
  /** Bulk listings for refresh. */
  inventory: HostInventory;
  records: RecordStore;
  journal: JournalStore;
  lock: RunLock;
  runPath: string;
  /** Netns pins (`<runtimeDir>/netns`) and secret files of running containers (`<runtimeDir>/secrets`). */
  runtimeDir: string;
  /** Task logs: `<logDir>/<realm>/<space>/<stack>/<cell>/<container>.log`. */
  logDir: string;
  /** Closes the gRPC channels. */
  close(): void;
}

export interface HostOptions {
  /** kuke's run path (records, journal, lock, CNI state, logs). No default here: callers decide. */
  runPath: string;
  /** Runtime directory (netns pins, secret files). */
  runtimeDir: string;
  /** containerd socket path or `unix:///…`. */
  containerdAddress: string;
  /** runc state directory for a managed or test containerd. @default the shim's own */
  runcRoot?: string;
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
  const containerd = createContainerdExecutor(
    options.containerdAddress,
    options.runcRoot !== undefined ? { runcRoot: options.runcRoot } : {},
  );
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
    logDir: join(options.runPath, "logs"),
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
    attach: (cell) => n.attach(cell),
    detach: (cell) => n.detach(cell),
    applyEgress: (realm, space, policy) => n.applyEgress(realm, space, policy),
    removeEgress: (realm, space) => n.removeEgress(realm, space),
    pinPath: (cell) => n.pinner.pathOf(cell),
  };
}
