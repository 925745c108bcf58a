/** Steps of `kuke kill` and of the run state `kuke start|stop|kill` record. */
import { KukeError, parseAddress } from "../model/index.js";
import type { StepHandler } from "./step-handler.js";

const SIGKILL = 9;
/** How long `task.kill` with SIGKILL waits for the task to be seen exited. */
const KILL_WAIT_MS = 5_000;

/**
 * Signals the task. With SIGKILL it also waits (bounded) until containerd reports the task
 * exited, so the state kuke reports next is the state the kill produced. No live task is success:
 * there is nothing left to signal.
 */
export const taskKill: StepHandler<"task.kill"> = async (ctx, s) => {
  // `kuke kill` means the task stays down: the restart monitor must not bring it back.
  if (s.monitored) await ctx.host.containerd.setRestartStatus(s.namespace, s.containerdId, undefined);
  const signalled = await ctx.host.containerd.killTask(s.namespace, s.containerdId, s.signal);
  ctx.pids.delete(`${s.namespace}/${s.containerdId}`);
  if (!signalled || s.signal !== SIGKILL) return;
  const until = Date.now() + KILL_WAIT_MS;
  for (;;) {
    const c = (await ctx.host.containerd.listContainers(s.namespace)).find((x) => x.id === s.containerdId);
    if (c === undefined || c.status !== "running") return;
    if (Date.now() > until) {
      throw new KukeError("runtime", `task ${s.containerdId} still runs ${KILL_WAIT_MS / 1000}s after SIGKILL`, {
        address: parseAddress(s.address),
        detail: `containerd namespace ${s.namespace}`,
      });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Sets or clears `extra.runState` on the existing record; the rest of the record is untouched. */
export const recordRunState: StepHandler<"record.run-state"> = async (ctx, s) => {
  const a = parseAddress(s.address);
  const record = await ctx.host.records.get(a);
  if (record === undefined) return; // deleted since: nothing to mark
  const { runState: _previous, ...rest } = record.extra;
  const extra = s.runState === "stopped" ? { ...rest, runState: "stopped" as const } : rest;
  await ctx.host.records.put({ ...record, extra });
};
