import { formatDiagnostics, type LoadResult } from "../manifest/index.js";
import type { KukeError } from "../model/index.js";
import type { Plan } from "../planner/index.js";
import { renderPlanHuman, renderPlanJson } from "../render/index.js";
import { diagnosticStyle, type OutputStream } from "./output-style.js";

export interface PlanStreams {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Colour stdout / stderr. */
  colorOut: boolean;
  colorErr: boolean;
}

/** Validation warnings of files that are valid: on stderr, before the plan. */
export function writeLoadWarnings(load: LoadResult, s: PlanStreams): void {
  const listing = formatDiagnostics(
    load.diagnostics.filter((d) => d.severity === "warning"),
    diagnosticStyle(s.colorErr),
  );
  if (listing !== "") s.stderr.write(listing);
}

/** A warning that does not stop the command (a corrupt record file), on stderr. */
export function warningWriter(s: PlanStreams): (e: KukeError) => void {
  return (e) => s.stderr.write(`Warning: ${e.format().replace(/^Error: /, "")}\n`);
}

/** The plan on stdout: Terraform-style text, or the versioned JSON with `json`. */
export function writePlan(plan: Plan, s: PlanStreams, json: boolean): void {
  s.stdout.write(json ? renderPlanJson(plan) : renderPlanHuman(plan, { color: s.colorOut }));
}
