/**
 * Drift: differences between what kuke recorded and what the host has, for resources that are
 * both desired and recorded. Each finding says which repair the planner must plan; the planner
 * merges it with the field diff (the stronger repair wins).
 */
import {
  type ActualContainer,
  type ActualResource,
  completed,
  LABELS,
  MANAGED_BY,
  monitorRestarts,
  type RestartMonitorFacts,
} from "../model/index.js";
import type { DesiredEntry } from "./resource-view.js";
import type { DriftItem, FieldEffect } from "./types.js";

/**
 * The repair a drift needs: `replace-cell` replaces the enclosing cell (the namespaces died with
 * the root); `none` is a finding shown in the plan and left alone (a task `kuke stop` stopped).
 */
export type Repair = "update" | "create" | "replace" | "replace-cell" | "none";

export interface DriftFinding {
  item: DriftItem;
  repair: Repair;
  effect: FieldEffect;
  /** The container's task must be (re)started. */
  restarts: boolean;
}

function finding(item: DriftItem, repair: Repair, effect: FieldEffect, restarts = false): DriftFinding {
  return { item, repair, effect, restarts };
}

/** Findings for one desired, recorded resource, most severe first is not guaranteed (callers merge). */
export function detectDrift(
  entry: DesiredEntry,
  actual: ActualResource,
  monitor?: RestartMonitorFacts,
): DriftFinding[] {
  const address = entry.key;
  const out: DriftFinding[] = [];
  // runc makes a container's cgroup when its task starts and removes it with the task, so only a
  // running (or paused) task's cgroup can be missing; for any other container, the task start its
  // repair plans (or `kuke start`) makes the cgroup.
  const cgroupExpected = entry.kind !== "container" || taskRuns(actual);
  if (!actual.cgroupPresent && cgroupExpected) {
    out.push(finding({ address, kind: "cgroup-missing", text: "cgroup missing" }, "update", "live"));
  }
  switch (entry.kind) {
    case "realm":
      if (actual.namespacePresent === false) {
        out.push(
          finding({ address, kind: "namespace-missing", text: "containerd namespace missing" }, "update", "live"),
        );
      }
      break;
    case "space": {
      const net = actual.network;
      if (net !== undefined && (!net.conflistPresent || net.subnet === undefined)) {
        out.push(finding({ address, kind: "network-missing", text: "CNI network missing" }, "update", "live"));
      }
      const egress = entry.view.spec.network as { egress?: unknown } | undefined;
      if (net !== undefined && egress?.egress !== undefined && !net.egressChainPresent) {
        out.push(finding({ address, kind: "egress-missing", text: "egress chain missing" }, "update", "live"));
      }
      break;
    }
    case "cell":
      // A cell kuke stopped keeps its pin and attachment; whatever else is gone, `kuke start` rebuilds it.
      if (actual.record?.extra.runState === "stopped") {
        out.push(finding({ address, kind: "stopped-by-kuke", text: "stopped by kuke stop" }, "none", "none"));
      } else if (entry.hostNetwork !== true && actual.netns !== undefined) {
        if (!actual.netns.pinned) {
          out.push(
            finding({ address, kind: "netns-missing", text: "network namespace pin missing" }, "replace-cell", "none"),
          );
        } else if (actual.netns.attachment === undefined) {
          out.push(
            finding({ address, kind: "attachment-missing", text: "CNI attachment missing" }, "replace-cell", "none"),
          );
        } else {
          // What the host publishes against what kuke recorded publishing (an edit of the file is a
          // field change of the cell's spec.ports, not drift).
          const published = actual.netns.attachment.ports ?? [];
          const recorded = (actual.record?.view.spec.ports as string[] | undefined) ?? [];
          if (actual.record !== undefined && !sameSet(published, recorded)) {
            const text = `published ports on the host are ${list(published)}, kuke recorded ${list(recorded)}`;
            out.push(finding({ address, kind: "ports-differ", text }, "update", "live"));
          }
        }
      }
      break;
    case "container":
      out.push(...containerDrift(entry, actual, monitor));
      break;
    case "stack":
      break;
  }
  return out;
}

function containerDrift(entry: DesiredEntry, actual: ActualResource, monitor?: RestartMonitorFacts): DriftFinding[] {
  const address = entry.key;
  const root = entry.role === "root";
  const c = actual.container;
  if (c === undefined) return [];
  if (c === null) {
    const item: DriftItem = { address, kind: "container-missing", text: "container missing" };
    return [root ? finding(item, "replace-cell", "none") : finding(item, "create", "none", true)];
  }
  const out: DriftFinding[] = [];
  const recorded = actual.record?.specHash;
  const managed = c.labels[LABELS.managedBy] === MANAGED_BY;
  if (managed && recorded !== undefined && c.labels[LABELS.specHash] !== recorded) {
    const item: DriftItem = { address, kind: "spec-changed", text: "spec changed outside kuke" };
    out.push(finding(item, root ? "replace-cell" : "replace", "none"));
  }
  const task = c.task;
  if (!root && (completed(c.task, entry.container?.restartPolicy) || restartedByMonitor(c, monitor))) return out;
  if (actual.record?.extra.runState === "stopped" && task.status !== "running") {
    out.push(finding({ address, kind: "stopped-by-kuke", text: "stopped by kuke stop" }, "none", "none"));
  } else if (task.status === "stopped" || task.status === "missing" || task.status === "created") {
    const what =
      task.status === "stopped"
        ? `task exited with code ${task.exitCode ?? "unknown"} outside kuke`
        : task.status === "missing"
          ? "task missing"
          : "task created but not started";
    const item: DriftItem = { address, kind: root ? "root-task-dead" : "task-exited", text: what };
    out.push(root ? finding(item, "replace-cell", "none") : finding(item, "update", "restart", true));
  } else if (task.status === "paused") {
    const item: DriftItem = { address, kind: "task-exited", text: "task paused outside kuke" };
    out.push(root ? finding(item, "replace-cell", "none") : finding(item, "update", "restart", true));
  }
  return out;
}

/**
 * containerd's restart monitor holds the task (its status label says running): the monitor, not
 * apply, brings it back within its interval, so a dead task is not a repair to plan. Without a
 * loaded monitor nothing would restart it, and it is drift as usual.
 */
function restartedByMonitor(c: ActualContainer, monitor: RestartMonitorFacts | undefined): boolean {
  if (monitor !== undefined && !monitor.loaded) return false;
  return monitorRestarts(c.labels) && c.task.status !== "running";
}

function taskRuns(actual: ActualResource): boolean {
  const status = actual.container?.task.status;
  return status === "running" || status === "paused";
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join(",") === [...b].sort().join(",");
}

const list = (ports: string[]) => (ports.length === 0 ? "none" : ports.join(", "));
