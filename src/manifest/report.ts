import type { Diagnostic } from "./diagnostic.js";
import type { LoadResult } from "./load.js";

/**
 * What `kuke validate` prints, as pure functions of a LoadResult so the golden tests compare the
 * exact text the command writes. Colour comes in through `Style`; the default adds none.
 */

export interface ValidationSummary {
  /** Realms + spaces + stacks + cells + loose containers. */
  resources: number;
  realms: number;
  spaces: number;
  stacks: number;
  cells: number;
  /** Containers declared inside cells (folded Container documents included, synthesized roots not). */
  containers: number;
  /** Container documents whose cell is not in the files. */
  looseContainers: number;
  errors: number;
  warnings: number;
}

export interface Style {
  error(text: string): string;
  warning(text: string): string;
  dim(text: string): string;
}

export const PLAIN: Style = { error: (t) => t, warning: (t) => t, dim: (t) => t };

export function summarize(r: LoadResult): ValidationSummary {
  const s = r.state;
  const containers = s.cells.reduce((n, c) => n + c.spec.containers.filter((k) => !k.synthesized).length, 0);
  return {
    resources: s.realms.length + s.spaces.length + s.stacks.length + s.cells.length + s.looseContainers.length,
    realms: s.realms.length,
    spaces: s.spaces.length,
    stacks: s.stacks.length,
    cells: s.cells.length,
    containers,
    looseContainers: s.looseContainers.length,
    errors: r.errorCount,
    warnings: r.warningCount,
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `4 resources valid: 1 realm, 1 space, 1 stack, 1 cell (2 containers)`. */
export function summaryLine(s: ValidationSummary): string {
  if (s.resources === 0) return "no resources found";
  const parts: string[] = [];
  if (s.realms > 0) parts.push(plural(s.realms, "realm"));
  if (s.spaces > 0) parts.push(plural(s.spaces, "space"));
  if (s.stacks > 0) parts.push(plural(s.stacks, "stack"));
  if (s.cells > 0) parts.push(`${plural(s.cells, "cell")} (${plural(s.containers, "container")})`);
  if (s.looseContainers > 0) parts.push(`${plural(s.looseContainers, "container")} joining undeclared cells`);
  return `${plural(s.resources, "resource")} valid: ${parts.join(", ")}`;
}

/** `validation failed: 2 errors, 1 warning`, or the warning count alone when nothing failed. */
export function countLine(s: ValidationSummary): string {
  return s.errors > 0
    ? `validation failed: ${plural(s.errors, "error")}, ${plural(s.warnings, "warning")}`
    : plural(s.warnings, "warning");
}

/**
 * `file:line:col: error: [address] message` with an indented remedy line, a blank line between
 * files. Diagnostics are expected in report order (LoadResult.diagnostics already is).
 */
export function formatDiagnostics(diags: readonly Diagnostic[], style: Style = PLAIN): string {
  const lines: string[] = [];
  let file: string | undefined;
  for (const d of diags) {
    if (file !== undefined && d.file !== file) lines.push("");
    file = d.file;
    const sev = d.severity === "error" ? style.error("error") : style.warning("warning");
    const where = d.address !== undefined ? `[${d.address}] ` : "";
    lines.push(`${d.file}:${d.line}:${d.column}: ${sev}: ${where}${d.message}`);
    lines.push(style.dim(`  remedy: ${d.remedy}`));
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

/** The `--json` document. Versioned: fields are only ever added. */
export interface ValidationReport {
  format_version: "1";
  valid: boolean;
  summary: ValidationSummary;
  diagnostics: Diagnostic[];
}

export function validationReport(r: LoadResult): ValidationReport {
  return { format_version: "1", valid: r.errorCount === 0, summary: summarize(r), diagnostics: r.diagnostics };
}
