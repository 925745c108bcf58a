/**
 * How a container's `restartPolicy` reaches containerd's restart monitor
 * (`io.containerd.internal.v1.restart`), kuke's only restarter: kuke runs no daemon. The monitor
 * restarts the task of every container labelled `containerd.io/restart.status=running` whose task
 * is not running, re-creating it from the container record (same spec: same netns path and
 * cgroup) with its output sent to the `containerd.io/restart.loguri` label's URI.
 *
 * What the monitor does with `containerd.io/restart.policy` depends on its version. The 1.6 monitor
 * (Debian 12's 1.6.20, measured) ignores that label and restarts on every exit, whatever the code;
 * later monitors announce the policies they honour as plugin capabilities (`no`, `always`,
 * `on-failure`, `unless-stopped`), read by refresh. A policy the monitor cannot honour is not given
 * to it: such a container carries no status label, and `kuke apply` restarts it when it failed.
 */
import type { RestartPolicy } from "./types.js";

export const RESTART_LABELS = {
  status: "containerd.io/restart.status",
  policy: "containerd.io/restart.policy",
  logUri: "containerd.io/restart.loguri",
  /** Kept by monitors newer than 1.6 (the number of restarts they made); 1.6 keeps no count. */
  count: "containerd.io/restart.count",
  /**
   * kuke's own: the pid of the task kuke last started. The 1.6 monitor keeps no count, so a running
   * pid that differs from it is the one honest sign left that the monitor restarted the task.
   */
  startedPid: "kuke.dev/started-pid",
} as const;

/** What refresh learned about the host's restart monitor. */
export interface RestartMonitorFacts {
  /** The plugin is loaded (and did not fail to start). */
  loaded: boolean;
  /**
   * The policies it announces as capabilities. Empty on 1.6, whose monitor knows no policies and
   * restarts any exit: that behaviour is `always` (and `unless-stopped`, since kuke clears the
   * status label on `kuke stop`/`kill`).
   */
  capabilities: string[];
}

/** The policies the monitor enforces exactly as kuke means them. */
export function monitoredPolicies(monitor: RestartMonitorFacts | undefined): RestartPolicy[] {
  // Not refreshed (`--refresh=false`): plan as for the oldest monitor kuke supports.
  const m = monitor ?? { loaded: true, capabilities: [] };
  if (!m.loaded) return [];
  if (m.capabilities.includes("on-failure")) return ["always", "on-failure", "unless-stopped"];
  return ["always", "unless-stopped"];
}

/**
 * The restart labels a container is declared with: the policy, for a policy the monitor enforces.
 * The engine adds the log URI (it knows the log path) and the status label, which hands a task to
 * the monitor only once kuke started it and is taken back by `kuke stop`/`kill`. A cell's root never gets them: the monitor would re-create it outside
 * the pinned network namespace the cell's workloads live in, so a dead root is a cell to recreate.
 */
export function restartLabels(
  policy: RestartPolicy,
  role: "root" | "workload",
  monitor: RestartMonitorFacts | undefined,
): Record<string, string> {
  if (role === "root" || policy === "no" || !monitoredPolicies(monitor).includes(policy)) return {};
  return { [RESTART_LABELS.policy]: policy };
}

/** The monitor is asked to keep this container's task running (the label kuke stop/kill clear). */
export function monitorRestarts(labels: Record<string, string>): boolean {
  return labels[RESTART_LABELS.status] === "running";
}

/**
 * Restarts of a container's task as far as the host can tell: containerd's own count when its
 * monitor keeps one (`exact`), else (1.6) 1 when the running task is not the one kuke started
 * (`exact: false`: at least one restart since kuke's last start), else 0.
 */
export function restartCount(
  labels: Record<string, string>,
  runningPid: number | undefined,
): { count: number; exact: boolean } {
  const kept = Number.parseInt(labels[RESTART_LABELS.count] ?? "", 10);
  if (Number.isInteger(kept) && kept >= 0) return { count: kept, exact: true };
  const started = labels[RESTART_LABELS.startedPid];
  // Never handed to the monitor by kuke, or not running now: no sign of a restart to report.
  if (started === undefined || runningPid === undefined) return { count: 0, exact: true };
  return String(runningPid) === started ? { count: 0, exact: true } : { count: 1, exact: false };
}

/**
 * A workload whose policy does not restart a success (`no`, `on-failure`) and that exited 0 has
 * done its job: `Completed`, not drift, so a one-shot job is not run again by every apply.
 */
export function completed(task: { status: string; exitCode?: number }, policy: RestartPolicy | undefined): boolean {
  const p = policy ?? "no";
  return (p === "no" || p === "on-failure") && task.status === "stopped" && task.exitCode === 0;
}
