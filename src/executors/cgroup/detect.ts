import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { KukeError } from "../../model/errors.js";
import type { CgroupDriver } from "./driver.js";
import { type CgroupHierarchy, CgroupV1Driver } from "./v1.js";
import { CgroupV2Driver } from "./v2.js";

export interface DetectOptions {
  /** Where cgroup file systems are mounted. @default "/sys/fs/cgroup" */
  cgroupRoot?: string;
  /** The mount table to read on v1 hosts. @default "/proc/self/mountinfo" */
  mountInfo?: string;
}

/**
 * Picks the driver for this host: `<cgroupRoot>/cgroup.controllers` exists only when the unified
 * hierarchy is mounted at the root (pure v2); otherwise the v1 hierarchies come from the mount table,
 * plus the unified mount a hybrid host has below the root.
 */
export async function detectCgroupDriver(options: DetectOptions = {}): Promise<CgroupDriver> {
  const root = options.cgroupRoot ?? "/sys/fs/cgroup";
  try {
    await access(join(root, "cgroup.controllers"));
    return new CgroupV2Driver({ root });
  } catch {
    // not v2: fall through to the mount table
  }
  let text: string;
  try {
    text = await readFile(options.mountInfo ?? "/proc/self/mountinfo", "utf8");
  } catch (e) {
    throw new KukeError("unavailable", "cannot read the mount table to find cgroup hierarchies", { cause: e });
  }
  return new CgroupV1Driver(parseCgroupMounts(text));
}

/**
 * The cgroup (v1) and cgroup2 mounts of a `/proc/PID/mountinfo` text. Only mounts that show the
 * hierarchy's own root ("/") are usable as a base for kuke's absolute cgroup paths.
 */
export function parseCgroupMounts(mountInfo: string): CgroupHierarchy[] {
  const out: CgroupHierarchy[] = [];
  for (const line of mountInfo.split("\n")) {
    // fields: id parent major:minor root mountpoint options [optional…] - fstype source superoptions
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const l = left.split(" ");
    const [fstype, , superOptions] = right.split(" ");
    if (l[3] !== "/" || !l[4]) continue;
    const mountPoint = l[4].replace(/\\040/g, " ");
    if (fstype === "cgroup2") out.push({ mountPoint, controllers: [] });
    else if (fstype === "cgroup") {
      const controllers = (superOptions ?? "")
        .split(",")
        .filter(
          (o) =>
            !["rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "clone_children", "xattr"].includes(o),
        )
        .filter((o) => !o.startsWith("release_agent="));
      out.push({ mountPoint, controllers });
    }
  }
  return out;
}
