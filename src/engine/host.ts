import type { CgroupDriver } from "../executors/cgroup/driver.js";
import type { NetworkExecutor } from "../executors/cni/network-executor.js";
import type { ContainerdExecutor } from "../executors/containerd/executor.js";
import type { CellAddress } from "../model/address.js";
import type { HostInventory } from "../refresh/host-inventory.js";
import type { JournalStore } from "../state/apply-journal.js";
import type { RecordStore } from "../state/record-store.js";
import type { RunLock } from "../state/run-lock.js";

/** The network operations the engine runs (a subset of `NetworkExecutor`, so tests can fake it). */
export type EngineNetwork = Pick<
  NetworkExecutor,
  | "ensureSpaceNetwork"
  | "removeSpaceNetwork"
  | "pin"
  | "unpin"
  | "attach"
  | "setPorts"
  | "detach"
  | "listAttachments"
  | "applyEgress"
  | "removeEgress"
> & {
  /** Path of the cell's pinned network namespace (workloads join the cell's network through it). */
  pinPath(cell: CellAddress): string;
};

/**
 * Everything a run needs to touch the host: the executors, kuke's state stores and the paths
 * they use. One object, built once per command by the runner's composition root (`src/runner/open-host.ts`)
 * or by hand in tests, with fakes.
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
