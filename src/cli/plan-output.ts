import { Chalk } from "chalk";
import { formatDiagnostics, type LoadResult } from "../manifest/index.js";
import type { KukeError } from "../model/index.js";
import type { Diagnostic, Plan } from "../planner/index.js";
import { renderPlanHuman, renderPlanJson } from "../render/index.js";
import { diagnosticStyle, type OutputStream } from "./output-style.js";

export interface PlanStreams {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Colour stdout / stderr. */
  colorOut: boolean;
  colorErr: boolean;
}

/** A warning that does not stop the command (a corrupt record file), on stderr. */
export function warningWriter(s: PlanStreams): (e: KukeError) => void {
  return (e) => s.stderr.write(`Warning: ${e.format().replace(/^Error: /, "")}\n`);
}

/** Validation warnings (files that declare nothing are an error of the loader, `no-resources`). */
export function writeLoadWarnings(load: LoadResult, s: PlanStreams): void {
  const listing = formatDiagnostics(
    load.diagnostics.filter((d) => d.severity === "warning"),
    diagnosticStyle(s.colorErr),
  );
  if (listing !== "") s.stderr.write(listing);
}

/**
 * The plan: the versioned JSON on stdout with `json` (errors included); otherwise Terraform-style
 * text on stdout and the plan's errors on stderr, as diagnostics go to stderr (DESIGN §5). A plan
 * made with `--refresh=false` says first that the host was not read.
 */
export function writePlan(plan: Plan, s: PlanStreams, json: boolean): void {
  if (json) {
    s.stdout.write(renderPlanJson(plan));
    return;
  }
  if (!plan.options.refresh) {
    s.stdout.write("Note: --refresh=false: the host was not read; this plan assumes nothing exists on it.\n\n");
  }
  s.stdout.write(renderPlanHuman({ ...plan, errors: [] }, { color: s.colorOut }));
  if (plan.errors.length > 0) s.stderr.write(formatPlanDiagnostics(plan.errors, s.colorErr));
}

/** Plan diagnostics as `Error: ADDRESS: summary`, indented detail and `Remedy:` lines. */
export function formatPlanDiagnostics(diagnostics: readonly Diagnostic[], colored: boolean): string {
  const c = new Chalk({ level: colored ? 1 : 0 });
  const out: string[] = [];
  for (const d of diagnostics) {
    const label = d.severity === "error" ? c.red.bold("Error:") : c.yellow.bold("Warning:");
    out.push("", `${label} ${d.address ? `${d.address}: ` : ""}${d.summary}`);
    if (d.detail) out.push(...d.detail.split("\n").map((l) => `  ${l}`));
    if (d.remedy) out.push(`  Remedy: ${d.remedy}`);
  }
  return `${out.join("\n")}\n`;
}
