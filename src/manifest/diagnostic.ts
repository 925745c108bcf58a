/**
 * Problems found in manifests. Every diagnostic points at a place in a file (1-based line and
 * column) so a person can jump to it; nothing in here ever carries a sensitive value.
 */

export type Severity = "error" | "warning";

/** Where something was written. `documentIndex` counts YAML documents in the file from 0. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
  documentIndex: number;
}

export interface Diagnostic extends SourcePosition {
  severity: Severity;
  /** Stable identifier of the rule (`unknown-field`, `wrong-type`, …); tests and tools branch on it. */
  code: string;
  /** The resource this is about (`cell/demo/web/app/web`), when its identity could be read. */
  address?: string;
  /** Field path inside the document, like `spec.containers[1].image`; empty for the document itself. */
  path: string;
  message: string;
  /** One line saying what to do about it. */
  remedy: string;
}

/** A line and column inside one document (file and document index are known to the collector). */
export interface Pos {
  line: number;
  column: number;
}

/** What a rule reports; the collector adds file, document index and severity. */
export interface Finding {
  code: string;
  path: string;
  message: string;
  remedy: string;
  address?: string | undefined;
}

/** Collects diagnostics of one run in the order they were found. */
export class DiagnosticList {
  readonly items: Diagnostic[] = [];

  add(severity: Severity, at: SourcePosition, f: Finding): void {
    const d: Diagnostic = {
      severity,
      code: f.code,
      file: at.file,
      line: at.line,
      column: at.column,
      documentIndex: at.documentIndex,
      path: f.path,
      message: f.message,
      remedy: f.remedy,
    };
    if (f.address !== undefined) d.address = f.address;
    this.items.push(d);
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === "error").length;
  }
}

/**
 * Orders diagnostics for people: files in the order they were given, then by position; stable for
 * equal positions so rules keep the order they ran in.
 */
export function sortDiagnostics(items: readonly Diagnostic[], fileOrder: readonly string[]): Diagnostic[] {
  const rank = new Map(fileOrder.map((f, i) => [f, i]));
  return items
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        (rank.get(a.d.file) ?? 0) - (rank.get(b.d.file) ?? 0) ||
        a.d.line - b.d.line ||
        a.d.column - b.d.column ||
        a.i - b.i,
    )
    .map((x) => x.d);
}
