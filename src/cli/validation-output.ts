import type { LoadResult } from "../manifest/load.js";
import {
  countLine,
  formatDiagnostics,
  type Style,
  summarize,
  summaryLine,
  validationReport,
} from "../manifest/report.js";
import type { OutputStream } from "./output-style.js";

export interface ValidationOutput {
  stdout: OutputStream;
  stderr: OutputStream;
  json: boolean;
  /** Style for diagnostics on stderr. */
  style: Style;
}

/**
 * Writes what `kuke validate` shows for a LoadResult and returns its exit code: 0 when valid
 * (summary on stdout, warnings on stderr), 65 when not (every diagnostic on stderr, grouped by
 * file, then the count line). With `json`, the versioned report alone goes to stdout.
 */
export function writeValidation(result: LoadResult, out: ValidationOutput): number {
  const summary = summarize(result);
  const code = result.errorCount === 0 ? 0 : 65;
  if (out.json) {
    out.stdout.write(`${JSON.stringify(validationReport(result), null, 2)}\n`);
    return code;
  }
  const listing = formatDiagnostics(result.diagnostics, out.style);
  if (code === 0) {
    if (listing !== "") out.stderr.write(listing);
    out.stdout.write(`${summaryLine(summary)}\n`);
  } else {
    out.stderr.write(`${listing}\n${countLine(summary)}\n`);
  }
  return code;
}
