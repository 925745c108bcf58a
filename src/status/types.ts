/**
 * Resource states as `kuke get` shows them, derived from what refresh saw on the host. Plain JSON
 * data, like the plan, so the JSON and YAML views are the objects themselves.
 */
import type { JsonValue, ResourceKind } from "../model/index.js";

/** Fields every kind shares. */
export interface StatusCommon {
  kind: ResourceKind;
  /** Address string (`cell/r/s/t/c`). */
  address: string;
  name: string;
  realm: string;
  labels: Record<string, string>;
  /** kuke has a record of applying it. */
  recorded: boolean;
  /** The desired state passed in declares it. */
  declared: boolean;
  /** Its cgroup exists. */
  cgroupPresent: boolean;
  /** ISO time it was applied, when the caller knows it (drives AGE). */
  appliedAt?: string;
  /**
   * The spec as recorded (else as declared), with sensitive values left out: never a password,
   * not even its digest.
   */
  spec?: { [key: string]: JsonValue };
}

/**
 * A container's state. `Stopped` covers a task that exited (with its exit code) and a container
 * that has no task at all (stopped by kuke, or never started after a host reboot: no exit code).
 * `Completed`: a workload whose restart policy does not restart a success (`no`, `on-failure`)
 * exited 0: its job is done, and apply leaves it so.
 * `Missing`: kuke expects the container but containerd does not have it.
 */
export type ContainerState = "Running" | "Created" | "Completed" | "Stopped" | "Missing" | "Unknown";

export interface ContainerStatus extends StatusCommon {
  kind: "container";
  space: string;
  stack: string;
  cell: string;
  state: ContainerState;
  /** `Running`, `Stopped (exit 137)`, `Missing`, `Unknown (paused)`. */
  stateText: string;
  exitCode?: number;
  pid?: number;
  /**
   * Restarts by containerd's restart monitor: its own count where it keeps one (containerd 1.7+,
   * `restartsExact`), else 1 when the running task is not the one kuke last started (1.6 keeps no
   * count: at least one restart, `restartsExact: false`), else 0.
   */
  restarts: number;
  restartsExact: boolean;
  role?: "root" | "workload";
  image?: string;
  containerdId: string;
}

/**
 * A cell's state from its containers (a Completed one counts as done, like a running one): `Ready` when every task runs, `Degraded` when some do,
 * `Stopped` when none do and none failed, `Failed` when none run and a task exited non-zero or a
 * container is missing.
 */
export type CellState = "Ready" | "Degraded" | "Stopped" | "Failed";

export interface CellStatus extends StatusCommon {
  kind: "cell";
  space: string;
  stack: string;
  state: CellState;
  /** `Ready`, `Failed (app exit 1, db missing)`. */
  stateText: string;
  /** Non-zero exit codes by container name. */
  exitCodes: Record<string, number>;
  /** Containers containerd does not have. */
  missing: string[];
  /** The cell's IP: the live CNI attachment's, else the recorded one. */
  ip?: string;
  hostNetwork: boolean;
  running: number;
  total: number;
  containers: string[];
}

/** `Degraded`: the network exists but the egress chain its policy needs does not. */
export type SpaceState = "Ready" | "Degraded" | "Missing";

export interface SpaceStatus extends StatusCommon {
  kind: "space";
  state: SpaceState;
  network: string;
  networkPresent: boolean;
  subnet?: string;
  egress: { chain: string; expected: boolean; present: boolean };
  cells: number;
}

export type StackState = "Ready" | "Missing";

export interface StackStatus extends StatusCommon {
  kind: "stack";
  space: string;
  state: StackState;
  cells: number;
  readyCells: number;
}

export type RealmState = "Ready" | "Missing";

export interface RealmStatus extends StatusCommon {
  kind: "realm";
  state: RealmState;
  namespace: string;
  namespacePresent: boolean;
  spaces: number;
}

export type ResourceStatus = RealmStatus | SpaceStatus | StackStatus | CellStatus | ContainerStatus;

/** Every known resource by kind, each list in address order. */
export interface StatusReport {
  realms: RealmStatus[];
  spaces: SpaceStatus[];
  stacks: StackStatus[];
  cells: CellStatus[];
  containers: ContainerStatus[];
}
