/**
 * Plain aligned tables for `kuke get` (kubectl's look): upper-case headers, columns padded to the
 * widest cell and separated by three spaces, no trailing blanks.
 */

/** Renders rows under headers; every row must have one cell per header. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  return `${[headers, ...rows].map(line).join("\n")}\n`;
}

/**
 * A duration as kubectl's AGE column shows it: `42s`, `5m`, `3h`, `12d`; `-` when unknown or in
 * the future (clock skew).
 */
export function formatAge(since: string | undefined, now: Date): string {
  if (since === undefined) return "-";
  const ms = now.getTime() - Date.parse(since);
  if (!Number.isFinite(ms) || ms < 0) return "-";
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}
