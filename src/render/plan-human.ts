/**
 * The human view of a plan, in Terraform's grammar. It renders *from* the plan object only (no
 * desired or actual state), so `kuke show PLANFILE` prints exactly what `kuke plan` printed.
 */

import { Chalk, type ChalkInstance } from "chalk";
import type { Diagnostic, Plan, ResourceChange } from "../planner/types.js";
import {
  changeBody,
  GUTTERS,
  HEADERS,
  hiddenNote,
  ORPHANS_HEADING,
  orphanLine,
  planTotals,
  resourceName,
} from "./plan-lines.js";

export interface HumanRenderOptions {
  /** Use ANSI colours. The caller decides (terminal, `--no-color`, `NO_COLOR`). */
  color: boolean;
}

export function renderPlanHuman(plan: Plan, options: HumanRenderOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const out: string[] = [];
  // A task stopped with `kuke stop` is kuke's own doing, not drift: it is listed apart and kept.
  const stopped = plan.drift.filter((d) => d.kind === "stopped-by-kuke");
  const left = plan.drift.filter((d) => d.kind !== "stopped-by-kuke" && isLeftByKuke(d));
  const drift = plan.drift.filter((d) => d.kind !== "stopped-by-kuke" && !isLeftByKuke(d));
  if (left.length > 0) {
    out.push(c.bold("Left by an interrupted apply"), "");
    for (const d of left) out.push(`  # ${c.bold(d.address)}: ${d.text}`);
    out.push("", "kuke will finish or redo this work as part of the plan below.", "");
  }
  const orphans = plan.orphans ?? [];
  if (orphans.length > 0) {
    out.push(c.bold(ORPHANS_HEADING), "");
    for (const o of orphans) out.push(`  ${orphanLine(o)}`);
    out.push("");
  }
  if (drift.length > 0) {
    out.push(c.bold("Objects changed outside kuke"), "");
    for (const d of drift) out.push(`  # ${c.bold(d.address)}: ${d.text}`);
    out.push("", "kuke will repair these as part of the plan below.", "");
  }
  if (stopped.length > 0) {
    out.push(c.bold("Stopped with kuke stop (kept stopped; kuke start starts them again)"), "");
    for (const d of stopped) out.push(`  # ${c.bold(d.address)}: ${d.text}`);
    out.push("");
  }
  const changes = plan.changes.filter((ch) => ch.action !== "noop" && ch.action !== "read");
  if (changes.length > 0) {
    out.push("kuke will perform the following actions:", "");
    for (const ch of changes) out.push(...renderChange(ch, c), "");
  }
  // A resource whose only differences are ignored makes no change, but the reader should know.
  const quiet = plan.changes.filter((ch) => ch.action === "noop" && (ch.ignoredPaths?.length ?? 0) > 0);
  if (quiet.length > 0) {
    out.push("Ignored by lifecycle.ignoreChanges (the files differ, the host keeps the applied values):", "");
    for (const ch of quiet) out.push(`  # ${c.bold(ch.address)}: ${ch.ignoredPaths!.join(", ")}`);
    out.push("");
  }
  if (plan.notInConfiguration.length > 0) {
    out.push("Not in configuration:", "");
    for (const a of plan.notInConfiguration) {
      out.push(`  # ${c.bold(a)} is not in the configuration and will be kept; run with --prune to delete`);
    }
    out.push("");
  }
  for (const e of plan.errors) out.push(...renderDiagnostic(e, c), "");
  const totals = planTotals(plan);
  if (totals === undefined) {
    out.push(c.green("No changes. The host matches the configuration."));
  } else {
    out.push(`${c.bold("Plan:")} ${totals}`);
  }
  return `${out.join("\n")}\n`;
}

function renderDiagnostic(d: Diagnostic, c: ChalkInstance): string[] {
  const label = d.severity === "error" ? c.red.bold("Error:") : c.yellow.bold("Warning:");
  const lines = [`${label} ${d.address ? `${d.address}: ` : ""}${d.summary}`];
  if (d.detail) lines.push(...d.detail.split("\n").map((l) => `  ${l}`));
  if (d.remedy) lines.push(`  Remedy: ${d.remedy}`);
  return lines;
}

function colorFor(action: string, c: ChalkInstance): ChalkInstance {
  if (action === "create") return c.green;
  if (action === "delete") return c.red;
  if (action === "replace") return c.magenta;
  return c.yellow;
}

function renderChange(ch: ResourceChange, c: ChalkInstance): string[] {
  const paint = colorFor(ch.action, c);
  const lines = [`  # ${c.bold(ch.address)} ${HEADERS[ch.action]}`];
  if (ch.reason !== undefined) lines.push(`  # (because ${ch.reason.text})`);
  if (ch.restarts) lines.push("  # (task restarts)");
  if (ch.ignoredPaths !== undefined && ch.ignoredPaths.length > 0) {
    lines.push(`  # (ignored by lifecycle.ignoreChanges: ${ch.ignoredPaths.join(", ")})`);
  }
  lines.push(`${paint(GUTTERS[ch.action] ?? "  ~")} ${ch.kind} "${resourceName(ch.address)}" {`);
  lines.push(...renderBody(ch, c).map((l) => `      ${l}`));
  lines.push("    }");
  return lines;
}

function renderBody(ch: ResourceChange, c: ChalkInstance): string[] {
  const { lines, hidden } = changeBody(ch);
  const width = Math.max(0, ...lines.map((l) => l.name.length));
  const paint = (g: string) => (g === "+" ? c.green(g) : g === "-" ? c.red(g) : c.yellow(g));
  const out = lines.map((l) => {
    const note = l.note !== undefined ? ` ${c.dim(l.note)}` : "";
    return `${paint(l.gutter)} ${l.name.padEnd(width)} = ${l.text}${note}`;
  });
  if (hidden > 0) out.push(c.dim(`  ${hiddenNote(hidden)}`));
  return out;
}

/** kuke's own half-done work: what an interrupted apply left, not a change made outside kuke. */
function isLeftByKuke(d: Plan["drift"][number]): boolean {
  return d.interrupted === true || d.kind === "left-behind";
}
