import { readFileSync } from "node:fs";

/** Host facts the (pure) OCI spec builder needs, read once by its caller. */

/**
 * RLIMIT_NOFILE of process `pid` (default: this process) from `/proc/<pid>/limits`. runc, started
 * by containerd's shim, cannot raise a hard limit above what containerd has, so pass
 * containerd's pid when it is known; kuke's own limit is the fallback (tests start containerd
 * from the kuke process, so the two agree there). "unlimited" reads as `Number.MAX_SAFE_INTEGER`.
 * @returns undefined when the file cannot be read or parsed.
 */
export function readNofileLimit(pid: number | "self" = "self"): { soft: number; hard: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/limits`, "utf8");
  } catch {
    return undefined;
  }
  return parseNofileLimit(text);
}

export function parseNofileLimit(limitsText: string): { soft: number; hard: number } | undefined {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limitsText);
  if (!m) return undefined;
  const num = (s: string) => (s === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(s));
  const soft = num(m[1]!);
  const hard = num(m[2]!);
  return Number.isFinite(soft) && Number.isFinite(hard) ? { soft, hard } : undefined;
}
