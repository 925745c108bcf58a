/** Medians and ranges of the benchmarks' samples, and the machine's load. */
import { readFile } from "node:fs/promises";

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function fmtRange(xs: number[], scale = 1, digits = 0): string {
  if (xs.length === 0) return "-";
  const v = xs.map((x) => x / scale);
  return `${median(v).toFixed(digits)} (${Math.min(...v).toFixed(digits)}–${Math.max(...v).toFixed(digits)})`;
}

export async function loadavg(): Promise<string> {
  return (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");
}
