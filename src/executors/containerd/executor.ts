import type { ContainerdOrphan } from "../../model/actual-state.js";
import { LABELS, MANAGED_BY } from "../../model/host-names.js";
import type { RestartMonitorFacts } from "../../model/restart-policy.js";
import type { ImageSource } from "../oci/image-source.js";
import { clearAbandonedTask, DEFAULT_RUNC_ROOT } from "./abandoned-task.js";
import { removeEmptyCgroups } from "./cgroup-cleanup.js";
import { ContainerdClient } from "./client.js";
import {
  createContainer,
  deleteContainerRecord,
  getContainerLabels,
  listContainerRecords,
  MANAGED_FILTER,
  type NewContainer,
  updateContainer,
} from "./containers.js";
import { type ExecOptions, type ExecSession, execInTask } from "./exec.js";
import { type ImageRecord, listImages, type ResolvedImage, removeImage, resolveImage, tagImage } from "./images.js";
import { type ImportResult, importImage } from "./importer.js";
import { deleteNamespace, ensureNamespace, listNamespaces } from "./namespaces.js";
import { type CellTasks, clearOrphanShim } from "./orphan-shim.js";
import { listOrphans, type Orphans, removeOrphan, removeOrphans } from "./orphans.js";
import { restartMonitorFacts, setRestartStatus } from "./restart-monitor.js";
import { type Mount, removeSnapshot } from "./snapshots.js";
import {
  exitedAt,
  killTask,
  listTasks,
  type StopOptions,
  startTask,
  stopTask,
  type TaskStatus,
  taskStatus,
} from "./tasks.js";

/** What refresh learns about one kuke-managed container, from one List of each kind. */
export interface ContainerRecord {
  id: string;
  labels: Record<string, string>;
  image: string;
  /** The `kukeon.io/spec-hash` label: the hash of the spec this container was made or updated with. */
  specHash: string | undefined;
  /** `stopped` also when the container has no task at all (`hasTask` tells them apart). */
  status: TaskStatus;
  hasTask: boolean;
  pid: number | undefined;
  exitStatus: number | undefined;
  /** ISO time; only for a task that exited. */
  exitedAt: string | undefined;
  /** The key of its rootfs snapshot (kuke's containers: their own id). */
  snapshotKey?: string;
}

/**
 * The containerd port the engine uses. Every method takes the containerd namespace explicitly.
 * Errors are KukeErrors (`not-found`, `already-exists`, `unavailable`, `failed-precondition`,
 * `runtime`); idempotent methods say so.
 */
export interface ContainerdExecutor {
  /** Names of the namespaces that exist (one List: `Namespaces.Get` on 1.6 says OK for anything). */
  listNamespaces(): Promise<string[]>;
  /** Creates the namespace if missing (idempotent). */
  ensureNamespace(namespace: string, labels?: Record<string, string>): Promise<void>;
  /** Deletes an empty namespace; missing is success; not empty is `failed-precondition`. */
  deleteNamespace(namespace: string): Promise<void>;
  /** Stores and unpacks an image (idempotent: present blobs and layers are skipped). */
  importImage(namespace: string, source: ImageSource): Promise<ImportResult>;
  /** Process defaults and top snapshot of an image; `not-found` with a remedy when absent. */
  resolveImage(namespace: string, name: string): Promise<ResolvedImage>;
  listImages(namespace: string): Promise<ImageRecord[]>;
  /** Removes the image record; `not-found` when absent. */
  removeImage(namespace: string, name: string): Promise<void>;
  /** Records `name` for the content of image `source` (idempotent); `not-found` when `source` is absent. */
  tagImage(namespace: string, source: string, name: string): Promise<void>;
  /** Rootfs snapshot + container record; `already-exists` if the id is taken. */
  createContainer(namespace: string, c: NewContainer): Promise<void>;
  /** Replaces spec and labels in place (restart-class changes); takes effect at the next start. */
  updateContainer(namespace: string, id: string, spec: object, labels: Record<string, string>): Promise<void>;
  /**
   * Starts the task (no-op if running), stdout+stderr appended to `logPath` (absolute).
   * `sealedEnv` (`NAME=value`, secrets) reaches the process without being kept in the stored spec.
   */
  startTask(namespace: string, id: string, logPath: string, sealedEnv?: readonly string[]): Promise<{ pid: number }>;
  /** SIGTERM, grace, SIGKILL, then deletes the task. No task is success (returns undefined). */
  stopTask(namespace: string, id: string, opts?: StopOptions): Promise<{ exitStatus: number } | undefined>;
  /** The container's current labels; `not-found` when it is missing. */
  containerLabels(namespace: string, id: string): Promise<Record<string, string>>;
  /**
   * Hands the task to containerd's restart monitor (`running`) or takes it back (`undefined`), for
   * a container that carries a restart policy label; any other container is left as it is. Missing
   * container: false. Taking it back before stopping a task keeps the monitor from restarting it.
   */
  setRestartStatus(namespace: string, id: string, status: "running" | undefined, startedPid?: number): Promise<boolean>;
  /**
   * Runs one more process in the container's running task (its OCI process with `opts.args`), stdio
   * over FIFOs under `opts.fifoDir`. `failed-precondition` when no task runs; the runtime's error
   * when the command cannot start. The caller must read stdout (and stderr) for `exited` to settle.
   */
  exec(namespace: string, id: string, opts: ExecOptions): Promise<ExecSession>;
  /** Whether containerd's restart monitor is loaded and which policies it announces. */
  restartMonitor(): Promise<RestartMonitorFacts>;
  /** Signals the task; false when there is no live task. */
  killTask(namespace: string, id: string, signal: number): Promise<boolean>;
  /**
   * Takes the task back from the restart monitor (`monitored`: the container may carry its status
   * label), then kill → wait → delete task → remove snapshot → delete record (missing is success at each step),
   * then removes the container's empty cgroup directories below `cgroupKeep` in every hierarchy.
   * Kill, wait and task delete are skipped when this executor's `stopTask` deleted the task and
   * nothing started one since (not for a `monitored` container).
   */
  deleteContainer(
    namespace: string,
    id: string,
    opts: { cgroupPath?: string; cgroupKeep?: string; graceMs?: number; monitored?: boolean | undefined },
  ): Promise<void>;
  /**
   * kuke-managed containers with their task state: one Containers.List and one Tasks.List. With
   * `all`, every container of the namespace, kuke's or not (refresh: an id kuke would use may be taken).
   */
  listContainers(namespace: string, opts?: { all?: boolean }): Promise<ContainerRecord[]>;
  /**
   * The pid of each running task of the namespace, by container id: one Tasks.List, without the
   * containers (whose listing carries every OCI spec: hundreds of kilobytes for a large stack).
   */
  runningTaskPids(namespace: string): Promise<Map<string, number>>;
  /**
   * Removes kuke's orphans in the namespace: leases whose kuke process is gone and active
   * snapshots kuke prepared that no container uses (what a killed kuke leaves). Returns what it
   * removed; an absent namespace has none.
   */
  removeOrphans(namespace: string): Promise<Orphans>;
  /**
   * kuke's orphans in the namespace, each with the container its labels name and why it is one
   * (refresh): one Snapshots.List and one Leases.List, plus one Containers.List unless
   * `usedSnapshots` gives the snapshot keys of every container of the namespace. A namespace that
   * does not exist has none.
   */
  listOrphans(namespace: string, usedSnapshots?: Promise<Iterable<string>>): Promise<ContainerdOrphan[]>;
  /**
   * Removes one orphan `listOrphans` reported; gone already is success. A snapshot that a
   * container of its key uses by now is kept (false).
   */
  removeOrphan(namespace: string, object: ContainerdOrphan["object"], id: string): Promise<boolean>;
  /** Closes the gRPC channel. */
  close(): void;
}

export interface ExecutorOptions {
  /**
   * runc's state directory for the containers this executor creates (a managed or test containerd
   * keeps it under its own state dir).
   * @default the shim's default, /run/containerd/runc/<namespace>
   */
  runcRoot?: string;
  /**
   * How long one call keeps retrying while a containerd that answered before does not (restarting).
   * @default 20000
   */
  retryMs?: number;
  /** The client to call containerd with (tests count its calls). @default a new one for `address` */
  client?: ContainerdClient;
}

/** The executor over one containerd socket (`/run/containerd/containerd.sock` or `unix:///…`). */
export function createContainerdExecutor(address: string, options: ExecutorOptions = {}): ContainerdExecutor {
  const client =
    options.client ?? new ContainerdClient(address, options.retryMs !== undefined ? { retryMs: options.retryMs } : {});
  // The rootfs mounts Snapshots.Prepare returned for each container this executor created, kept
  // for its first task start (one Snapshots.Mounts call less); later starts ask containerd.
  const prepared = new Map<string, Mount[]>();
  const key = (ns: string, id: string) => `${ns}\0${id}`;
  // Containers whose task this executor deleted (`stopTask` found one and deleted it) and started
  // none of since: a destroy stops each task, then deletes its container, which need not look
  // for the task again (one Tasks.Get per container less). Not for a container in the restart
  // monitor's hands (it may have started a task meanwhile), nor after `stopTask` found no task
  // (runc may still hold one an abandoned create left, which only the full delete clears).
  const taskDeleted = new Set<string>();
  /** kuke-managed containers (or all, with `all`) with their task state: one Containers.List, one Tasks.List. */
  const listRecords = async (ns: string, opts: { all?: boolean } = {}): Promise<ContainerRecord[]> => {
    const call = { namespace: ns };
    const [containers, tasks] = await Promise.all([
      listContainerRecords(client, call, opts.all === true ? [] : [MANAGED_FILTER]),
      listTasks(client, call),
    ]);
    // Process.container_id comes back empty on 1.6; the task's `id` is the container id.
    const byId = new Map(tasks.map((t) => [t.container_id || t.id, t]));
    return (
      containers
        .map((c): ContainerRecord => {
          const t = byId.get(c.id);
          return {
            id: c.id,
            labels: { ...c.labels },
            image: c.image,
            specHash: c.labels[LABELS.specHash],
            status: t ? taskStatus(t.status) : "stopped",
            hasTask: t !== undefined,
            pid: t && t.pid > 0 ? t.pid : undefined,
            exitStatus: t && t.status === "STOPPED" ? t.exit_status : undefined,
            exitedAt: t ? exitedAt(t.exited_at) : undefined,
            snapshotKey: c.snapshot_key,
          };
        })
        // Code-point order: the first localeCompare of a process sets up ICU's collator (~7 ms),
        // for ids that are ASCII anyway.
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    );
  };
  return {
    listNamespaces: async () => (await listNamespaces(client)).map((n) => n.name),
    ensureNamespace: (ns, labels) => ensureNamespace(client, ns, labels),
    deleteNamespace: (ns) => deleteNamespace(client, ns),
    importImage: (ns, source) => importImage(client, ns, source),
    resolveImage: (ns, name) => resolveImage(client, ns, name),
    listImages: (ns) => listImages(client, ns),
    removeImage: (ns, name) => removeImage(client, ns, name),
    tagImage: (ns, source, name) => tagImage(client, ns, source, name),
    async createContainer(ns, c) {
      taskDeleted.delete(key(ns, c.id));
      prepared.set(key(ns, c.id), await createContainer(client, ns, { runcRoot: options.runcRoot, ...c }));
    },
    updateContainer: (ns, id, spec, labels) => updateContainer(client, { namespace: ns }, id, spec, labels),
    async startTask(ns, id, logPath, sealedEnv) {
      taskDeleted.delete(key(ns, id));
      const rootfs = prepared.get(key(ns, id));
      prepared.delete(key(ns, id));
      await clearOrphanShim({
        address,
        namespace: ns,
        group: id,
        runcRoot: options.runcRoot ?? DEFAULT_RUNC_ROOT,
        cell: async () => cellTasks(await listRecords(ns), id),
      });
      return startTask(client, { namespace: ns }, id, logPath, sealedEnv, options.runcRoot, rootfs);
    },
    async stopTask(ns, id, opts) {
      taskDeleted.delete(key(ns, id));
      const stopped = await stopTask(client, { namespace: ns }, id, opts);
      if (stopped !== undefined) taskDeleted.add(key(ns, id));
      return stopped;
    },
    killTask: (ns, id, signal) => killTask(client, { namespace: ns }, id, signal),
    containerLabels: (ns, id) => getContainerLabels(client, { namespace: ns }, id),
    async setRestartStatus(ns, id, status, startedPid) {
      try {
        return await setRestartStatus(client, { namespace: ns }, id, status, startedPid);
      } catch (e) {
        if ((e as { code?: string }).code === "not-found") return false;
        throw e;
      }
    },
    restartMonitor: () => restartMonitorFacts(client),
    exec: (ns, id, opts) => execInTask(client, { namespace: ns }, id, opts),
    async deleteContainer(ns, id, opts) {
      const call = { namespace: ns };
      // The monitor would otherwise re-create the task between the kill and the record's deletion.
      if (opts.monitored === true) {
        await setRestartStatus(client, call, id, undefined).catch((e: unknown) => {
          if ((e as { code?: string }).code !== "not-found") throw e;
        });
      }
      prepared.delete(key(ns, id));
      const known = taskDeleted.has(key(ns, id)) && opts.monitored !== true;
      taskDeleted.delete(key(ns, id));
      if (!known) {
        const stopped = await stopTask(client, call, id, { graceMs: opts.graceMs ?? 0, cgroupsPath: opts.cgroupPath });
        // No task in containerd, yet runc may hold one an abandoned create left (with a live init).
        if (stopped === undefined) await clearAbandonedTask(options.runcRoot ?? DEFAULT_RUNC_ROOT, ns, id, undefined);
      }
      await removeSnapshot(client, call, id);
      await deleteContainerRecord(client, call, id);
      if (opts.cgroupPath) await removeEmptyCgroups(opts.cgroupPath, opts.cgroupKeep ?? "/");
    },
    async runningTaskPids(ns) {
      const out = new Map<string, number>();
      for (const t of await listTasks(client, { namespace: ns })) {
        // Process.container_id comes back empty on 1.6; the task's `id` is the container id.
        if (t.status === "RUNNING" && t.pid > 0) out.set(t.container_id || t.id, t.pid);
      }
      return out;
    },
    listContainers: (ns, opts = {}) => listRecords(ns, opts),
    removeOrphans: (ns) => removeOrphans(client, { namespace: ns }),
    async listOrphans(ns, usedSnapshots) {
      try {
        return await listOrphans(client, { namespace: ns }, usedSnapshots);
      } catch (e) {
        if ((e as { code?: string }).code === "not-found") return [];
        throw e;
      }
    },
    removeOrphan: (ns, object, id) => removeOrphan(client, { namespace: ns }, object, id),
    close: () => client.close(),
  };
}

/**
 * The containers of `id`'s cell (by kuke's labels) and whether containerd holds a task of any of
 * them; undefined when `id` is not a kuke container (its shim is then never touched).
 */
function cellTasks(records: ContainerRecord[], id: string): CellTasks | undefined {
  const me = records.find((r) => r.id === id);
  if (me === undefined || me.labels[LABELS.managedBy] !== MANAGED_BY) return undefined;
  const cellOf = (r: ContainerRecord) =>
    [LABELS.realm, LABELS.space, LABELS.stack, LABELS.cell].map((k) => r.labels[k] ?? "").join("/");
  const mates = records.filter((r) => cellOf(r) === cellOf(me));
  return { ids: mates.map((r) => r.id), withTask: mates.some((r) => r.hasTask) };
}
