import { RESTART_LABELS, type RestartMonitorFacts } from "../../model/restart-policy.js";
import type { CallOptions, ContainerdClient } from "./client.js";
import { getContainerLabels, setContainerLabels } from "./containers.js";

/**
 * containerd's restart monitor (`io.containerd.internal.v1.restart`): whether it is loaded and which
 * policies it announces. A daemon without the plugin, or whose plugin failed to start, restarts nothing.
 */
export async function restartMonitorFacts(client: ContainerdClient): Promise<RestartMonitorFacts> {
  const res = await client.unary<{
    plugins: { type: string; id: string; capabilities: string[]; init_err: { code: number } | null }[];
  }>(
    "introspection",
    "Plugins",
    { filters: ["type==io.containerd.internal.v1,id==restart"] },
    { namespace: "default", timeoutMs: 5000 },
  );
  const p = res.plugins.find((x) => x.id === "restart");
  if (p === undefined) return { loaded: false, capabilities: [] };
  return { loaded: p.init_err === null || p.init_err.code === 0, capabilities: [...p.capabilities].sort() };
}

/**
 * Hands the container's task to the monitor (`running`: it restarts the task whenever it is not
 * running) or takes it back (`undefined`: the label is removed and the monitor leaves the task
 * alone). Only a container that carries a restart policy label is ever handed over; `startedPid`
 * (the task kuke just started) is kept beside it for `restartCount`. Returns whether a label changed. A missing container is `not-found`.
 */
export async function setRestartStatus(
  client: ContainerdClient,
  call: CallOptions,
  id: string,
  status: "running" | undefined,
  startedPid?: number,
): Promise<boolean> {
  const labels = await getContainerLabels(client, call, id);
  const want = status !== undefined && labels[RESTART_LABELS.policy] !== undefined ? status : undefined;
  const pid = want !== undefined && startedPid !== undefined ? String(startedPid) : labels[RESTART_LABELS.startedPid];
  if (labels[RESTART_LABELS.status] === want && labels[RESTART_LABELS.startedPid] === pid) return false;
  await setContainerLabels(client, call, id, { [RESTART_LABELS.status]: want, [RESTART_LABELS.startedPid]: pid });
  return true;
}
