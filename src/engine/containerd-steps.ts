import { readFileSync } from "node:fs";
import { describeLabels } from "../executors/containerd/containers.js";
import { taskLogUri } from "../executors/containerd/log-uri.js";
import {
  addressPath,
  type CellAddress,
  type ContainerAddress,
  cgroupPath,
  isKukeError,
  KukeError,
  LABELS,
  labeledAddress,
  MANAGED_BY,
  PAUSE_IMAGE,
  parentAddress,
  parseAddress,
  RESTART_LABELS,
} from "../model/index.js";
import { purgeRemedy } from "../planner/remedies.js";
import type { ContainerPayload } from "../planner/step-types.js";
import { containerLogPath } from "../state/run-path.js";
import { keepLogAsPrevious, removeContainerLog } from "./container-files.js";
import { containerSpecFor, sealedEnvOf } from "./container-spec.js";
import type { RunContext } from "./run-context.js";
import { removeSecrets } from "./secrets.js";
import type { StepHandler } from "./step-handler.js";

/** Steps carried out by the containerd executor: namespaces, images, containers, tasks. */

export const namespaceEnsure: StepHandler<"namespace.ensure"> = (ctx, s) =>
  ctx.host.containerd.ensureNamespace(s.namespace, { [LABELS.managedBy]: MANAGED_BY });

/**
 * Deletes the realm's namespace only when nothing but kuke's own pause image is left in it. Images
 * a user staged (`kuke image load`, possibly on an offline host that cannot get them back) or that
 * apply pulled stay, and so does the namespace they live in: containerd refuses to delete a
 * namespace that holds anything. Keeping it is reported as a note, not a failure.
 */
export const namespaceDelete: StepHandler<"namespace.delete"> = async (ctx, s) => {
  const c = ctx.host.containerd;
  // What a killed kuke left (a prepared snapshot, its lease) would keep the namespace forever.
  await c.removeOrphans(s.namespace);
  const kept: string[] = [];
  for (const image of await c.listImages(s.namespace)) {
    if (image.name !== PAUSE_IMAGE) {
      kept.push(image.name);
      continue;
    }
    await c.removeImage(s.namespace, image.name).catch((e: unknown) => {
      if (!isKukeError(e, "not-found")) throw e;
    });
  }
  const containers = kept.length > 0 ? [] : await c.listContainers(s.namespace);
  if (kept.length === 0 && containers.length === 0) {
    await c.deleteNamespace(s.namespace);
    return;
  }
  const a = parseAddress(s.address);
  const what =
    kept.length > 0
      ? `${kept.length} image${kept.length === 1 ? "" : "s"} (kuke image rm ${kept[0]} --realm ${a.realm})`
      : `${containers.length} container${containers.length === 1 ? "" : "s"} kuke did not record (${purgeRemedy(a)})`;
  ctx.note(s, `namespace ${s.namespace} kept: it holds ${what}`);
};

/**
 * Removes one of kuke's orphans (what a killed kuke left). A snapshot that a container of its key
 * uses by now stays, with a note: it is that container's, not an orphan any more.
 */
export const orphanRemove: StepHandler<"orphan.remove"> = async (ctx, s) => {
  const removed = await ctx.host.containerd.removeOrphan(s.namespace, s.object, s.orphanId);
  if (!removed) ctx.note(s, `${s.object} ${s.orphanId} kept: container ${s.orphanId} uses it now`);
};

/** On failure the secret files written for the spec are removed: no container will ever read them. */
export const containerCreate: StepHandler<"container.create"> = async (ctx, s) => {
  try {
    await createContainer(ctx, s);
  } catch (e) {
    await removeSecrets(ctx.host.runtimeDir, parseAddress(s.address) as ContainerAddress).catch(() => undefined);
    throw e;
  }
};

/**
 * The step's labels plus, for a container with a restart policy, the log URI the restart monitor
 * gives the tasks it re-creates (the same file kuke's own starts append to, so `kuke logs` spans
 * restarts). The status label that hands the task to the monitor is not among them: `task.start`
 * adds it once kuke started the task, so the monitor never starts one before its network is ready.
 */
function labelsFor(ctx: RunContext, s: ContainerPayload & { address: string }): Record<string, string> {
  if (s.labels[RESTART_LABELS.policy] === undefined) return s.labels;
  const log = containerLogPath(ctx.host.logDir, parseAddress(s.address) as ContainerAddress);
  return { ...s.labels, [RESTART_LABELS.logUri]: taskLogUri(log) };
}

async function createContainer(...[ctx, s]: Parameters<StepHandler<"container.create">>): Promise<void> {
  const { spec, image, sealedEnv } = await containerSpecFor(ctx, s.address, s);
  ctx.sealedEnv.set(s.address, sealedEnv);
  try {
    await ctx.host.containerd.createContainer(s.namespace, {
      id: s.containerdId,
      image: image.name,
      snapshotParent: image.topChainId,
      spec,
      labels: labelsFor(ctx, s),
    });
  } catch (e) {
    if (!isKukeError(e, "already-exists")) throw e;
    throw await containerInTheWay(ctx, s, e);
  }
  ctx.containers.set(s.address, { namespace: s.namespace, containerdId: s.containerdId });
}

/**
 * The container that holds `s.containerdId` already, named by what its labels say: kuke's (for
 * which address; kuke has no record of it, so `kuke purge` removes it) or not kuke's (`ctr` removes
 * it; kuke never removes what it did not make).
 */
async function containerInTheWay(
  ctx: RunContext,
  s: ContainerPayload & { address: string },
  cause: unknown,
): Promise<KukeError> {
  const labels = await ctx.host.containerd.containerLabels(s.namespace, s.containerdId).catch(() => undefined);
  const owner = labels !== undefined ? labeledAddress(labels) : undefined;
  const address = parseAddress(s.address);
  if (labels === undefined || owner !== undefined) {
    return new KukeError("already-exists", `containerd already has a container ${s.containerdId}`, {
      address,
      detail: `in namespace ${s.namespace}: kuke made it${owner !== undefined ? ` for ${owner}` : ""} and has no record of it`,
      remedy: `${purgeRemedy(owner !== undefined ? parseAddress(owner) : address)} (or rename the container)`,
      cause,
    });
  }
  return new KukeError("already-exists", `containerd already has a container ${s.containerdId} that is not kuke's`, {
    address,
    detail: `in namespace ${s.namespace}; its labels: ${describeLabels(labels)}`,
    remedy: `remove it (ctr -n ${s.namespace} tasks kill -s SIGKILL ${s.containerdId}; ctr -n ${s.namespace} containers rm ${s.containerdId}) or rename the container`,
    cause,
  });
}

/**
 * Replaces spec and labels. The labels replace all of the container's, so the monitor's status
 * label is written here too: kept for a policy the monitor enforces, unless `kuke stop` took the
 * task back; gone for a policy it does not (a policy change is live: labels only).
 */
export const containerUpdate: StepHandler<"container.update"> = async (ctx, s) => {
  const { spec, sealedEnv } = await containerSpecFor(ctx, s.address, s);
  ctx.sealedEnv.set(s.address, sealedEnv);
  const labels = labelsFor(ctx, s);
  if (labels[RESTART_LABELS.policy] !== undefined) {
    const stopped = (await ctx.host.records.get(parseAddress(s.address)))?.extra.runState === "stopped";
    const current = await ctx.host.containerd.containerLabels(s.namespace, s.containerdId).catch(() => ({}));
    const pid = (current as Record<string, string>)[RESTART_LABELS.startedPid];
    if (!stopped) labels[RESTART_LABELS.status] = "running";
    if (pid !== undefined) labels[RESTART_LABELS.startedPid] = pid;
  }
  await ctx.host.containerd.updateContainer(s.namespace, s.containerdId, spec, labels);
  ctx.containers.set(s.address, { namespace: s.namespace, containerdId: s.containerdId });
};

/**
 * Removes the container, its runc cgroup dirs below the cell's cgroup (owned by cgroup steps), its
 * secret files and its log (a container created again at the address starts a new log).
 */
export const containerDelete: StepHandler<"container.delete"> = async (ctx, s) => {
  const a = parseAddress(s.address) as ContainerAddress;
  const cell = parentAddress(a) as CellAddress;
  await ctx.host.containerd.deleteContainer(s.namespace, s.containerdId, {
    cgroupPath: cgroupPath(...addressPath(a)),
    cgroupKeep: cgroupPath(...addressPath(cell)),
    graceMs: 0,
    monitored: s.monitored,
  });
  await removeSecrets(ctx.host.runtimeDir, a);
  if (s.keepLog === true) await keepLogAsPrevious(ctx.host.logDir, a);
  else await removeContainerLog(ctx.host.logDir, a);
};

export const taskStart: StepHandler<"task.start"> = async (ctx, s) => {
  const a = parseAddress(s.address) as ContainerAddress;
  const logPath = containerLogPath(ctx.host.logDir, a);
  const sealed = await sealedEnvOf(ctx, s.address, s.monitored === true);
  const { pid } = await ctx.host.containerd.startTask(s.namespace, s.containerdId, logPath, sealed);
  ctx.pids.set(`${s.namespace}/${s.containerdId}`, pid);
  if (s.monitored) await ctx.host.containerd.setRestartStatus(s.namespace, s.containerdId, "running", pid);
};

/**
 * A pid 1 that installed no SIGTERM handler ignores SIGTERM (pause, `sleep`, `busybox sh`); waiting
 * out a grace period for it would only delay the stop, so it gets SIGKILL at once.
 */
export const taskStop: StepHandler<"task.stop"> = async (ctx, s) => {
  // Taken back from the restart monitor first, or it would start the task again.
  if (s.monitored) await ctx.host.containerd.setRestartStatus(s.namespace, s.containerdId, undefined);
  const pid = await ctx.taskPid(s.namespace, s.containerdId);
  const graceMs = pid !== undefined && !handlesSigterm(pid) ? 0 : ctx.stopGraceMs;
  const cgroupsPath = cgroupPath(...addressPath(parseAddress(s.address) as ContainerAddress));
  // The pid was seen running (a start in this run, or the run's task listing): no look-up first.
  await ctx.host.containerd.stopTask(s.namespace, s.containerdId, { graceMs, cgroupsPath, runningPid: pid });
  ctx.pids.delete(`${s.namespace}/${s.containerdId}`);
};

const SIGTERM_BIT = 1n << 14n; // signal 15, bit 15 - 1

/** From `SigCgt` in `/proc/<pid>/status`; true when unknown, so the grace period applies. */
function handlesSigterm(pid: number): boolean {
  try {
    // Synchronous: an in-kernel file of a few hundred bytes (see init-kill.ts).
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status);
    return m === null || (BigInt(`0x${m[1]}`) & SIGTERM_BIT) !== 0n;
  } catch {
    return true;
  }
}
