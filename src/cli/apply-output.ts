/**
 * What `kuke apply` and `kuke destroy` print while and after steps run: one line when a step
 * starts and one when it ends (`cell/r/s/t/c: Creating… [container.create]`,
 * `…: Creation complete after 1.2s [container.create]`), then the summary or the failure report.
 */
import { Chalk, type ChalkInstance } from "chalk";
import { isKukeError } from "../model/index.js";
import type { Plan, StepKind } from "../planner/index.js";
import type { RunEvent, RunReport } from "../runner/pipeline.js";
import type { OutputStream } from "./output-style.js";

/**
 * [while running, when done, when done after the step made a note] per step kind; records are
 * bookkeeping and print nothing. A namespace.delete that notes "kept" did not delete it.
 */
const VERBS: Record<StepKind, [string, string, string?] | undefined> = {
  "namespace.ensure": ["Creating namespace", "Namespace ready"],
  "namespace.delete": ["Deleting namespace", "Namespace deleted", "Namespace kept"],
  "cgroup.ensure": ["Creating cgroup", "Cgroup ready"],
  "cgroup.update": ["Updating limits", "Limits updated"],
  "cgroup.remove": ["Removing cgroup", "Cgroup removed"],
  "network.ensure": ["Creating network", "Network ready"],
  "network.remove": ["Removing network", "Network removed"],
  "egress.apply": ["Applying egress policy", "Egress policy applied"],
  "egress.remove": ["Removing egress policy", "Egress policy removed"],
  "image.ensure": ["Ensuring image", "Image present"],
  "container.create": ["Creating", "Creation complete"],
  "container.update": ["Modifying", "Modifications complete"],
  "container.delete": ["Destroying", "Destruction complete"],
  "task.start": ["Starting", "Started"],
  "task.stop": ["Stopping", "Stopped"],
  "task.kill": ["Signalling", "Signalled"],
  "netns.pin": ["Pinning network namespace", "Network namespace pinned"],
  "netns.unpin": ["Unpinning network namespace", "Network namespace unpinned"],
  "cni.attach": ["Attaching to network", "Attached"],
  "cni.detach": ["Detaching from network", "Detached"],
  "files.remove": ["Removing files", "Files removed"],
  "cni.ports": ["Publishing ports", "Ports published"],
  "orphan.remove": ["Removing what an interrupted apply left", "Removed what an interrupted apply left", "Kept"],
  "record.write": undefined,
  "record.delete": undefined,
  "record.run-state": undefined,
};

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Turns the runner's progress events into lines on `out`. */
export function progressPrinter(out: OutputStream, color: boolean): (e: RunEvent) => void {
  const c = new Chalk({ level: color ? 1 : 0 });
  // Steps that made a note: their "done" line must not contradict it.
  const noted = new Set<string>();
  return (e) => {
    // Notes are things a user should know that are not failures (a namespace kept for its images).
    if (e.type === "note") {
      noted.add(e.id);
      out.write(`${c.bold(`${e.address}:`)} ${c.yellow(e.text)}\n`);
      return;
    }
    const verbs = VERBS[e.kind];
    if (verbs === undefined) return;
    const tag = c.dim(`[${e.kind}]`);
    const who = c.bold(`${e.address}:`);
    if (e.type === "start") out.write(`${who} ${verbs[0]}… ${tag}\n`);
    else if (e.type === "succeed")
      out.write(
        `${who} ${(noted.has(e.id) ? verbs[2] : undefined) ?? verbs[1]} after ${seconds(e.durationMs)} ${tag}\n`,
      );
    else if (e.type === "fail")
      out.write(`${who} ${c.red(`${verbs[0]} failed after ${seconds(e.durationMs)}`)} ${tag}\n`);
  };
}

/** The summary after a run, and the exit code: 0 complete, 3 partly failed, 8 cancelled. */
export function writeApplyResult(
  plan: Plan,
  result: RunReport,
  out: OutputStream,
  err: OutputStream,
  opts: { color: boolean; destroy: boolean },
): number {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const s = plan.summary;
  if (result.status === "succeeded") {
    const removed = orphansRemoved(result);
    const orphans = removed > 0 ? ` Left by an interrupted apply: ${removed} removed.` : "";
    out.write(
      opts.destroy
        ? `\n${c.green.bold("Destroy complete!")} Resources: ${s.destroy} destroyed.${orphans}\n`
        : `\n${c.green.bold("Apply complete!")} Resources: ${s.add} added, ${s.change} changed, ${s.replace} replaced, ${s.destroy} destroyed.${orphans}\n`,
    );
    return 0;
  }
  err.write(`\n${failureReport(result, c)}`);
  return result.cancelled ? 8 : 3;
}

/** kuke's orphans (snapshots, leases) the run removed: `orphan.remove` steps that succeeded without a note. */
export function orphansRemoved(result: Pick<RunReport, "outcomes" | "notes">): number {
  const noted = new Set(result.notes.map((n) => n.id));
  return Object.entries(result.outcomes).filter(
    ([id, o]) => id.startsWith("orphan.remove:") && o.status === "succeeded" && !noted.has(id),
  ).length;
}

/** Succeeded / failed (root causes) / skipped / not started, grouped by address. */
export function failureReport(result: RunReport, c: ChalkInstance): string {
  const w = result.summary;
  const lines: string[] = [];
  lines.push(
    result.cancelled
      ? c.yellow.bold("Apply cancelled: running steps finished, no new ones were started.")
      : c.red.bold("Apply partly failed."),
    `Steps: ${w.succeeded} succeeded, ${w.failed} failed, ${w.skipped} skipped, ${w.notStarted} not started (of ${w.total}).`,
  );
  if (result.failures.length > 0) {
    lines.push("", "Failed (root causes):");
    for (const f of result.failures) {
      const e = f.error;
      lines.push(`  ${c.bold(f.address)} [${f.kind}]: ${isKukeError(e) ? `${e.message} (${e.code})` : String(e)}`);
      if (isKukeError(e) && e.detail) lines.push(...e.detail.split("\n").map((l) => `      ${l}`));
      if (isKukeError(e) && e.remedy) lines.push(`      Remedy: ${e.remedy}`);
    }
  }
  const groups = result.resources;
  const section = (title: string, addresses: string[]) => {
    if (addresses.length > 0) lines.push("", title, ...addresses.map((a) => `  ${a}`));
  };
  section("Skipped (a step they depend on failed):", groups.skipped);
  section("Not started:", groups.notStarted);
  section("Succeeded:", groups.succeeded);
  lines.push(
    "",
    result.cancelled
      ? `The journal ${result.applyId} records what ran; run kuke plan to see what is left.`
      : "Fix the failures and run kuke apply again: it plans from the host as it is now.",
  );
  return `${lines.join("\n")}\n`;
}
