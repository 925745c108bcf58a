import { readFileSync } from "node:fs";
import { errnoOf } from "../../fs/fs-errors.js";

/**
 * SIGKILL for a task without a `runc kill` process. Tasks.Kill has the shim run `runc kill` (with
 * `all`: runc also freezes the cgroup, signals each process and thaws it), one runc process per
 * task on every destroy. When the task's init is the init of its own pid namespace, the kernel
 * kills every other process of that namespace as the init dies, so signalling the init alone does
 * what `all` does; the shim reaps it and reports the exit as for any other death.
 *
 * The pid is containerd's, read just before; before signalling it, it is checked to be the init
 * of a pid namespace (`NSpid` ends in 1) and a member of the task's cgroup, so a pid that has
 * been reused since (the task ended and was reaped) is never signalled: no process of another
 * task or of the host is in that cgroup as its namespace's init. Anything else (host pid
 * namespace, another cgroup, no such process, unreadable /proc) leaves the kill to containerd.
 */

/** The pid's namespace pids, outermost first (`NSpid`), from `/proc/<pid>/status`. */
export function namespacePids(status: string): number[] {
  const m = /^NSpid:\s*(.*)$/m.exec(status);
  return m === null ? [] : (m[1] ?? "").trim().split(/\s+/).map(Number);
}

/** True when one of `/proc/<pid>/cgroup`'s lines (v1 `N:controllers:/path`, v2 `0::/path`) is `cgroupsPath`. */
export function inCgroup(procCgroup: string, cgroupsPath: string): boolean {
  return procCgroup.split("\n").some((line) => {
    const at = line.indexOf(":", line.indexOf(":") + 1);
    return at >= 0 && line.slice(at + 1) === cgroupsPath;
  });
}

/**
 * Sends SIGKILL to `pid` when it is the init of its own pid namespace in cgroup `cgroupsPath`.
 * True when it did (or the process was gone between the check and the signal); false when it
 * sent nothing and the caller must kill through containerd.
 */
export async function killNamespaceInit(pid: number, cgroupsPath: string): Promise<boolean> {
  let status: string;
  let cgroup: string;
  // Synchronous: two in-kernel files of a few hundred bytes, where a promise and a thread-pool
  // round trip per read (open, fstat, read, close) cost node several times the reads themselves.
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
    cgroup = readFileSync(`/proc/${pid}/cgroup`, "utf8");
  } catch {
    return false;
  }
  const ns = namespacePids(status);
  if (ns.length < 2 || ns[ns.length - 1] !== 1 || !inCgroup(cgroup, cgroupsPath)) return false;
  try {
    process.kill(pid, "SIGKILL");
    return true;
  } catch (e) {
    return errnoOf(e) === "ESRCH";
  }
}
