import { mkdir } from "node:fs/promises";
import { dirname, isAbsolute } from "node:path";
import { KukeError } from "../../model/errors.js";
import { clearAbandonedTask, DEFAULT_RUNC_ROOT } from "./abandoned-task.js";
import type { CallOptions, ContainerdClient } from "./client.js";
import { isStoppedBeforeStart, leftoverBundleOf } from "./errors.js";
import { killNamespaceInit } from "./init-kill.js";
import { taskLogUri } from "./log-uri.js";
import { sealedCreate } from "./sealed-env.js";
import { type Mount, snapshotMounts } from "./snapshots.js";

/** Tasks: the running process of a container. */

export type TaskStatus = "created" | "running" | "stopped" | "paused" | "unknown";

export interface TaskMsg {
  id: string;
  container_id: string;
  pid: number;
  status: string;
  exit_status: number;
  exited_at: { seconds: number; nanos: number } | null;
}

export function taskStatus(s: string): TaskStatus {
  switch (s) {
    case "CREATED":
      return "created";
    case "RUNNING":
      return "running";
    case "STOPPED":
      return "stopped";
    case "PAUSED":
    case "PAUSING":
      return "paused";
    default:
      return "unknown";
  }
}

/** containerd reports an unset time as year 1 (-62135596800 s), not as null. */
export function exitedAt(ts: TaskMsg["exited_at"]): string | undefined {
  if (!ts || ts.seconds <= 0) return undefined;
  return new Date(ts.seconds * 1000 + Math.floor(ts.nanos / 1e6)).toISOString();
}

const isCode = (e: unknown, code: string) => (e as { code?: string }).code === code;

export async function getTask(client: ContainerdClient, call: CallOptions, id: string): Promise<TaskMsg | undefined> {
  try {
    return (await client.unary<{ process: TaskMsg }>("tasks", "Get", { container_id: id }, call)).process;
  } catch (e) {
    if (isCode(e, "not-found")) return undefined;
    throw e;
  }
}

export async function listTasks(client: ContainerdClient, call: CallOptions): Promise<TaskMsg[]> {
  return (await client.unary<{ tasks: TaskMsg[] }>("tasks", "List", {}, call)).tasks;
}

/** Deletes the task record (exit status is lost afterwards); missing is success. */
export async function deleteTask(client: ContainerdClient, call: CallOptions, id: string): Promise<void> {
  try {
    await client.unary("tasks", "Delete", { container_id: id }, call);
  } catch (e) {
    if (!isCode(e, "not-found")) throw e;
  }
}

/**
 * Creates and starts the task with the container's snapshot as rootfs, stdout and stderr appended
 * to `logPath` by kuke's logger, a line a record with its time (`log-uri.ts`). A running task is
 * left alone (its pid is returned); a stopped one is deleted first. If create fails the half-made
 * task is deleted so the next attempt does not hit "file exists".
 * `sealedEnv` (`NAME=value`) reaches the task's process but is not kept in the stored spec
 * (`sealed-env.ts`). `rootfs`: the snapshot's mounts when the caller has them (from the
 * container's `Snapshots.Prepare`); asked of containerd otherwise.
 *
 * Tasks.Create comes first, with no look-up before it: containerd refuses it (`already-exists`)
 * when the container has a task, and only then is the task looked at. A fresh container, the
 * usual case, costs Create and Start alone.
 */
export async function startTask(
  client: ContainerdClient,
  call: CallOptions,
  id: string,
  logPath: string,
  sealedEnv: readonly string[] = [],
  runcRoot: string = DEFAULT_RUNC_ROOT,
  rootfs?: Mount[],
): Promise<{ pid: number }> {
  if (!isAbsolute(logPath)) throw new KukeError("runtime", `log path ${logPath} must be absolute`);
  const mounts = rootfs ?? (await snapshotMounts(client, call, id));
  await mkdir(dirname(logPath), { recursive: true, mode: 0o700 });
  // Both streams to the same logger: setting only stdout crashes the 1.6 shim.
  const uri = taskLogUri(logPath);
  const create = () =>
    sealedCreate(client, call, id, sealedEnv, async () => {
      await client.unary(
        "tasks",
        "Create",
        { container_id: id, rootfs: mounts, stdout: uri, stderr: uri, terminal: false },
        call,
      );
    });
  const createAgain = async () => {
    try {
      await create();
    } catch (again) {
      await deleteTask(client, call, id).catch(() => undefined);
      throw again;
    }
  };
  try {
    await create();
  } catch (e) {
    if (isCode(e, "already-exists")) {
      // The container has a task: a live one is kept; a stopped one, or one a killed kuke's
      // Tasks.Create made (created, never started, by a process that is gone), is deleted and
      // created again, once.
      const existing = await getTask(client, call, id);
      if (existing && (existing.status === "RUNNING" || existing.status === "PAUSED")) return { pid: existing.pid };
      await deleteTask(client, call, id);
      await createAgain();
    } else {
      await deleteTask(client, call, id).catch(() => undefined);
      // A create abandoned by a killed kuke left its bundle (containerd lists no task): clear it, once.
      const bundle = leftoverBundleOf(e);
      if (bundle === undefined || (await getTask(client, call, id)) !== undefined) throw e;
      await clearAbandonedTask(runcRoot, call.namespace, id, bundle);
      await createAgain();
    }
  }
  const start = async () => {
    try {
      const res = await client.unary<{ pid: number }>("tasks", "Start", { container_id: id }, call);
      return { pid: res.pid };
    } catch (e) {
      await deleteTask(client, call, id).catch(() => undefined);
      throw e;
    }
  };
  try {
    return await start();
  } catch (e) {
    // A start cut off by a containerd restart: the shim killed the runc start it was running and the
    // created process is gone, so the retried start meets a stopped process. The task was just
    // deleted; create and start it again, once.
    if (!isStoppedBeforeStart(e)) throw e;
  }
  await createAgain();
  return start();
}

/** Sends a signal to the task's init process (`all`: every process in it). False if there is no live task. */
export async function killTask(
  client: ContainerdClient,
  call: CallOptions,
  id: string,
  signal: number,
  all = false,
): Promise<boolean> {
  try {
    await client.unary("tasks", "Kill", { container_id: id, signal, all }, call);
    return true;
  } catch (e) {
    // containerd says NOT_FOUND both for no task and for a task whose process already exited.
    if (isCode(e, "not-found")) return false;
    throw e;
  }
}

const SIGKILL = 9;
const SIGTERM = 15;

export interface StopOptions {
  /**
   * How long the process gets to exit after SIGTERM before SIGKILL, in milliseconds.
   * @default 10000
   */
  graceMs?: number;
  /** Signal sent first. @default 15 (SIGTERM) */
  signal?: number;
  /**
   * The task's cgroup (its spec's `linux.cgroupsPath`). With it, SIGKILL goes from kuke straight to
   * the task's init process when that is the init of its own pid namespace in this cgroup
   * (`init-kill.ts`): the kernel then ends every process of the namespace, which is what
   * Tasks.Kill with `all` does, without the `runc kill` process the shim would start.
   * @default SIGKILL through Tasks.Kill (`all`)
   */
  cgroupsPath?: string | undefined;
  /**
   * The task's pid when the caller saw it running a moment ago (a task listing, or a start in this
   * process): the stop then begins without asking containerd for the task (one Tasks.Get less per
   * task on a destroy). Whatever became of the task since is handled as without it: one that
   * exited is waited for and deleted, one that is gone is no task, and one paused since, which a
   * direct SIGKILL cannot end until it is thawed, is killed through containerd once the wait
   * runs out.
   */
  runningPid?: number | undefined;
}

/**
 * Ends the task and deletes it: SIGTERM, wait up to `graceMs`, then SIGKILL to every process of the
 * task and wait again (bounded). No task, or an already exited one, is success. Returns the exit
 * status when a task was there.
 */
export async function stopTask(
  client: ContainerdClient,
  call: CallOptions,
  id: string,
  opts: StopOptions = {},
): Promise<{ exitStatus: number } | undefined> {
  const task =
    opts.runningPid !== undefined && opts.runningPid > 0
      ? { pid: opts.runningPid, status: "RUNNING", exit_status: 0 }
      : await getTask(client, call, id);
  if (!task) return undefined;
  if (task.status === "STOPPED") {
    await deleteTask(client, call, id);
    return { exitStatus: task.exit_status };
  }
  const grace = opts.graceMs ?? 10_000;
  const killWait = 10_000;
  const wait = (timeoutMs: number) =>
    client.unary<{ exit_status: number }>("tasks", "Wait", { container_id: id }, { ...call, timeoutMs }).then(
      (r) => ({ ok: true as const, status: r.exit_status }),
      (e: unknown) => ({ ok: false as const, error: e }),
    );
  // Wait is registered before the first signal so the exit cannot slip past it.
  const waited = wait(grace + killWait);
  let outcome: Awaited<typeof waited> | undefined;
  if (grace > 0 && (await killTask(client, call, id, opts.signal ?? SIGTERM))) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => {
      timer = setTimeout(() => r(undefined), grace);
    });
    outcome = await Promise.race([waited, timeout]);
    clearTimeout(timer);
  }
  if (!outcome) {
    const direct =
      // Not for a paused task: its frozen processes would take the signal only once thawed.
      task.status === "RUNNING" &&
      opts.cgroupsPath !== undefined &&
      task.pid > 0 &&
      (await killNamespaceInit(task.pid, opts.cgroupsPath));
    if (!direct) await killTask(client, call, id, SIGKILL, true);
    outcome = await waited;
    if (direct && opts.runningPid !== undefined && !outcome.ok && isCode(outcome.error, "unavailable")) {
      // The wait ran out (DEADLINE_EXCEEDED is `unavailable`): a task paused since the caller saw
      // it running takes the signal only once thawed, which containerd's kill of every process does.
      const again = wait(killWait);
      await killTask(client, call, id, SIGKILL, true);
      outcome = await again;
    }
  }
  if (!outcome.ok && !isCode(outcome.error, "not-found")) throw outcome.error;
  // The exit status from the task itself only when Wait could not tell it.
  const after = outcome.ok ? undefined : await getTask(client, call, id);
  // No task at all (gone since it was seen): nothing was stopped.
  if (!outcome.ok && after === undefined) return undefined;
  await deleteTask(client, call, id);
  return { exitStatus: outcome.ok ? outcome.status : (after?.exit_status ?? 0) };
}
