import { Chalk } from "chalk";
import type { LoadResult } from "../manifest/load.js";
import { formatDiagnostics } from "../manifest/report.js";
import { KukeError } from "../model/index.js";
import type { Diagnostic, Plan } from "../planner/index.js";
import { renderPlanHuman, renderPlanJson, renderPlanMarkdown } from "../render/index.js";
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

/** How `plan` and `show` print a plan (`-o`). */
export const PLAN_FORMATS = ["human", "json", "markdown"] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

/**
 * The format asked for by `-o FORMAT` and the older `--json`, which means `-o json`.
 * @throws KukeError `usage` for an unknown format, or `--json` with another `-o`.
 */
export function planFormat(output: string | undefined, json: boolean): PlanFormat {
  if (output !== undefined && !(PLAN_FORMATS as readonly string[]).includes(output)) {
    throw new KukeError("usage", `-o must be one of ${PLAN_FORMATS.join(", ")}, got '${output}'`, {
      remedy: "pass -o human, -o json or -o markdown",
    });
  }
  if (json && output !== undefined && output !== "json") {
    throw new KukeError("usage", `--json contradicts -o ${output}`, { remedy: "pass only one of them" });
  }
  return json ? "json" : ((output as PlanFormat | undefined) ?? "human");
}

/**
 * The plan on stdout: the versioned JSON (errors included), Markdown for a pull-request comment
 * (errors included, and on stderr too), or Terraform-style text with the plan's errors on stderr,
 * as diagnostics go to stderr (DESIGN §5). A human plan made with `--refresh=false` says first that
 * the host was not read (the Markdown view says so itself).
 */
export function writePlan(plan: Plan, s: PlanStreams, format: PlanFormat): void {
  if (format === "json") {
    s.stdout.write(renderPlanJson(plan));
    return;
  }
  if (format === "markdown") {
    s.stdout.write(renderPlanMarkdown(plan));
  } else {
    if (!plan.options.refresh) {
      s.stdout.write("Note: --refresh=false: the host was not read; this plan assumes nothing exists on it.\n\n");
    }
    s.stdout.write(renderPlanHuman({ ...plan, errors: [] }, { color: s.colorOut }));
  }
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
