/**
 * The Runner: kuke's library facade, the operations kukeon's runner offers. Every method that
 * changes the host builds a small plan and runs it through the planner and engine that `kuke
 * apply` uses (under the run-path lock); there is no second code path that changes the host.
 * Reading methods refresh the host and take no lock.
 *
 * Resources are named by address (`realmAddress("r")`, `cellAddress("r", "s", "t", "c")`, …) and
 * described by `ResourceInput`s. Errors are `KukeError`s with stable codes; a step that fails is
 * not thrown but reported in the returned `ChangeResult.result` (check `result.status`).
 */

import { detectCgroupDriver } from "../executors/cgroup/index.js";
import { type CniBootstrapReport, NetworkExecutor } from "../executors/cni/index.js";
import type { ExecSession } from "../executors/containerd/exec.js";
import {
  type Address,
  addressPath,
  type CellAddress,
  type ContainerAddress,
  cgroupPath,
  type DesiredState,
  formatAddress,
  KukeError,
  type RealmAddress,
  realmAddress,
  type SpaceAddress,
  type StackAddress,
  spaceAddress,
} from "../model/index.js";
import type { GetKind } from "../render/get-items.js";
import { ensureDir } from "../state/index.js";
import type {
  CellStatus,
  ContainerStatus,
  RealmStatus,
  ResourceStatus,
  SpaceStatus,
  StackStatus,
  StatusReport,
} from "../status/index.js";
import { type ExecRequest, execInContainer } from "./imperative/exec.js";
import {
  type ExistenceReport,
  existence,
  hostStatus,
  type LogsOptions,
  type RefreshResult,
  refreshDrift,
  resourceLogs,
} from "./imperative/inspect.js";
import { type PurgeResult, purgeResource } from "./imperative/purge.js";
import { deleteResource } from "./imperative/remove.js";
import { type ChangeMode, changeResources, type ResourceInput } from "./imperative/resources.js";
import { recreateCell, taskOperation } from "./imperative/tasks.js";
import type { ChangeResult, PipelineOptions as RunnerOptions } from "./pipeline.js";

/** Which resources `list` returns: every name given narrows the list. */
export interface ListScope {
  realm?: string;
  space?: string;
  stack?: string;
  cell?: string;
}

const KIND_LIST: Record<Address["kind"], GetKind> = {
  realm: "realms",
  space: "spaces",
  stack: "stacks",
  cell: "cells",
  container: "containers",
};

export class Runner {
  constructor(readonly options: RunnerOptions) {}

  // Host bootstrap ---------------------------------------------------------------------------

  /** Checks the CNI plugins kuke needs and prepares its CNI state folders. Changes no network. */
  bootstrapCni(): Promise<CniBootstrapReport> {
    return new NetworkExecutor({ runPath: this.options.runPath, runtimeDir: this.options.runtimeDir }).bootstrap();
  }

  /** Creates kuke's root cgroup (`/kukeon`) and the run path; returns the cgroup path. Idempotent. */
  async ensureRootCgroup(): Promise<string> {
    await ensureDir(this.options.runPath);
    const root = cgroupPath().replace(/\/$/, "");
    await (await detectCgroupDriver()).ensure(root);
    return root;
  }

  // Reading ----------------------------------------------------------------------------------

  /** The state of every recorded resource, derived from a refresh of the host. */
  async status(): Promise<StatusReport> {
    return (await hostStatus(this.options)).report;
  }

  /** One resource's state, or undefined when kuke has no record of it. */
  get(address: RealmAddress): Promise<RealmStatus | undefined>;
  get(address: SpaceAddress): Promise<SpaceStatus | undefined>;
  get(address: StackAddress): Promise<StackStatus | undefined>;
  get(address: CellAddress): Promise<CellStatus | undefined>;
  get(address: ContainerAddress): Promise<ContainerStatus | undefined>;
  async get(address: Address): Promise<ResourceStatus | undefined> {
    const key = formatAddress(address);
    const report = await this.status();
    return (report[KIND_LIST[address.kind]] as ResourceStatus[]).find((s) => s.address === key);
  }

  /** Every recorded resource of a kind inside `scope`, in address order. */
  async list(kind: Address["kind"], scope: ListScope = {}): Promise<ResourceStatus[]> {
    const report = await this.status();
    return (report[KIND_LIST[kind]] as ResourceStatus[]).filter((s) => {
      const f = s as unknown as Record<string, unknown>;
      return (["realm", "space", "stack", "cell"] as const).every((k) => scope[k] === undefined || f[k] === scope[k]);
    });
  }

  /** A container's state (Running, Stopped with its exit code, …). @throws KukeError `not-found` */
  async state(container: ContainerAddress): Promise<ContainerStatus> {
    const s = await this.get(container);
    if (s === undefined)
      throw new KukeError("not-found", `${formatAddress(container)} does not exist`, { address: container });
    return s;
  }

  /** Reads the host and reports what drifted from kuke's records (inside `scope`, if given). Changes nothing. */
  refresh(scope?: Address): Promise<RefreshResult> {
    return refreshDrift(this.options, scope);
  }

  // Existence checks -------------------------------------------------------------------------

  /** Whether the resource's cgroup exists (in every hierarchy kuke manages). */
  async cgroupExists(address: Address): Promise<boolean> {
    const driver = await detectCgroupDriver();
    return driver.exists(cgroupPath(...addressPath(address)));
  }

  /** Whether realm `realm`'s containerd namespace exists. */
  async realmNamespaceExists(realm: string): Promise<boolean> {
    return (await existence(this.options, realmAddress(realm))).realmNamespace === true;
  }

  /** Whether the space's CNI network config exists in the run path. */
  async spaceNetworkConfigExists(realm: string, space: string): Promise<boolean> {
    return (await existence(this.options, spaceAddress(realm, space))).spaceNetworkConfig === true;
  }

  /** Whether the cell's root container exists in containerd (running or not). */
  async cellRootContainerExists(cell: CellAddress): Promise<boolean> {
    return (await existence(this.options, cell)).cellRootContainer === true;
  }

  /** All existence facts of one address at once. */
  exists(address: Address): Promise<ExistenceReport> {
    return existence(this.options, address);
  }

  // Changes ----------------------------------------------------------------------------------

  /**
   * Creates resources (any kinds, parents before children in one plan). Each must be new.
   * @throws KukeError `already-exists`; `not-found` when a parent is neither recorded nor given.
   */
  create(...resources: ResourceInput[]): Promise<ChangeResult> {
    return this.change("create", resources);
  }

  /** Creates what is missing; recorded resources keep their spec and have drift repaired. */
  ensure(...resources: ResourceInput[]): Promise<ChangeResult> {
    return this.change("ensure", resources);
  }

  /**
   * Changes recorded resources to the given spec, as the planner's field table says: live fields
   * change live, restart fields restart the task, an image recreates the container, a root
   * container change recreates the cell. @throws KukeError `not-found`
   */
  update(...resources: ResourceInput[]): Promise<ChangeResult> {
    return this.change("update", resources);
  }

  /**
   * Creates, ensures or updates every resource of a desired state (e.g. validated manifests,
   * `kuke create -f FILE`), targeted at those resources only. @default mode "ensure"
   */
  changeDesired(desired: DesiredState, mode: ChangeMode = "ensure"): Promise<ChangeResult> {
    return changeResources(this.options, { mode, fragment: desired, command: `kuke create -f (${mode})` });
  }

  private change(mode: ChangeMode, resources: ResourceInput[]): Promise<ChangeResult> {
    return changeResources(this.options, { mode, fragment: resources, command: `runner ${mode}` });
  }

  /**
   * Deletes a resource through the engine, children first. Without `cascade`, a realm, space or
   * stack that still has resources inside is refused (`failed-precondition`) and nothing changes.
   * A cell takes its containers; a root container cannot be deleted alone.
   */
  delete(address: Address, opts: { cascade?: boolean } = {}): Promise<ChangeResult> {
    return deleteResource(this.options, address, opts);
  }

  /**
   * Removes the resource and everything kuke can find of it on the host by labels and names, with
   * or without records, then forgets its records and those of everything inside it.
   */
  purge(address: Address): Promise<PurgeResult> {
    return purgeResource(this.options, address);
  }

  /** Starts a cell's tasks (recreating the cell when its root is down) or one workload's task. */
  start(address: CellAddress | ContainerAddress): Promise<ChangeResult> {
    return taskOperation(this.options, "start", address);
  }

  /** Stops a cell (workloads, then root) or one workload; `kuke apply` leaves them stopped. */
  stop(address: CellAddress | ContainerAddress): Promise<ChangeResult> {
    return taskOperation(this.options, "stop", address);
  }

  /** Sends `signal` (default SIGKILL) to a cell's tasks (workloads, then root) or one workload's. */
  kill(address: CellAddress | ContainerAddress, signal?: number): Promise<ChangeResult> {
    return taskOperation(this.options, "kill", address, signal !== undefined ? { signal } : {});
  }

  /** Replaces the cell: all its containers are made again from their recorded specs and started. */
  recreateCell(cell: CellAddress): Promise<ChangeResult> {
    return recreateCell(this.options, cell);
  }

  /**
   * Writes a container's captured output to `l.write`, or every container's of a cell with each
   * line prefixed by the container's name (following until `l.signal` aborts).
   */
  logs(address: ContainerAddress | CellAddress, l: LogsOptions): Promise<void> {
    return resourceLogs(this.options, address, l);
  }

  /**
   * Runs a command in the container's running task (`kuke exec`); `attach` wires its streams.
   * Resolves to the command's exit status.
   */
  exec(
    container: ContainerAddress,
    req: ExecRequest,
    attach: (session: ExecSession) => (() => void) | undefined,
  ): Promise<number> {
    return execInContainer(this.options, container, req, attach);
  }
}
