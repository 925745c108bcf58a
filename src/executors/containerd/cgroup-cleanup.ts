import { rmdirSync } from "node:fs";
import { errnoOf } from "../../fs/fs-errors.js";
import { parseMountInfo, readMountInfoSync } from "../../fs/mountinfo.js";
import { KukeError } from "../../model/errors.js";

/**
 * runc creates a task's cgroup (and any missing parents) in every mounted hierarchy and leaves the
 * directories behind when the task is deleted. This removes them once they are empty. It is not
 * the cgroup executor: it never creates cgroups nor writes limits, and it never removes the
 * ancestors the caller says belong to someone else.
 */

/** Mount points of every cgroup hierarchy (v1 controllers and the v2 unified one), from mountinfo. */
export function cgroupMounts(mountinfo?: string): string[] {
  const mounts = mountinfo === undefined ? readMountInfoSync() : parseMountInfo(mountinfo);
  return mounts.filter((m) => m.fsType === "cgroup" || m.fsType === "cgroup2").map((m) => m.mountPoint);
}

/**
 * This process's `cgroupMounts()`, read once: the hierarchies are mounted at boot, and a destroy
 * deletes a container per `removeEmptyCgroups` call, where reading and parsing the mount table
 * (hundreds of lines on a host with many containers) each time was most of the call.
 */
let hostMounts: string[] | undefined;
function hostCgroupMounts(): string[] {
  hostMounts ??= cgroupMounts();
  return hostMounts;
}

function segments(path: string): string[] {
  const parts = path.split("/").filter((p) => p.length > 0);
  if (parts.some((p) => p === "." || p === "..")) {
    throw new KukeError("runtime", `cgroup path ${path} must not contain . or ..`);
  }
  return parts;
}

/**
 * Removes `path` and then each ancestor strictly below `keep`, in every hierarchy, stopping in a
 * hierarchy at the first directory that is not empty (it still has tasks or child cgroups). A
 * directory that does not exist is skipped.
 *
 * @param path cgroup path relative to the hierarchy root, e.g. `/kukeon/r/s/t/c/app`.
 * @param keep an ancestor of `path` that must stay (e.g. the cell's cgroup, owned by the cgroup
 *   executor). @default "/" (every empty ancestor goes)
 */
export async function removeEmptyCgroups(
  path: string,
  keep = "/",
  mounts: string[] = hostCgroupMounts(),
): Promise<void> {
  const parts = segments(path);
  const keepParts = segments(keep);
  if (keepParts.some((p, i) => parts[i] !== p) || keepParts.length >= parts.length) {
    throw new KukeError("runtime", `cgroup ${keep} is not an ancestor of ${path}`);
  }
  for (const mount of mounts) {
    for (let depth = parts.length; depth > keepParts.length; depth--) {
      const dir = `${mount}/${parts.slice(0, depth).join("/")}`;
      // Synchronous, as the cgroup driver's removal: an in-kernel directory (12 hierarchies on a v1
      // host), where a thread-pool round trip and a promise per call cost more than the call.
      try {
        rmdirSync(dir);
      } catch (e) {
        const code = errnoOf(e);
        if (code === "ENOENT") continue;
        if (code === "EBUSY" || code === "ENOTEMPTY") break;
        throw new KukeError("runtime", `cannot remove cgroup ${dir}`, { detail: String(e), cause: e });
      }
    }
  }
}
