import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { MOUNTINFO_PATH, parseMountInfo } from "../../fs/mountinfo.js";
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
    text = await readFile(options.mountInfo ?? MOUNTINFO_PATH, "utf8");
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
  for (const m of parseMountInfo(mountInfo)) {
    if (m.root !== "/") continue;
    if (m.fsType === "cgroup2") out.push({ mountPoint: m.mountPoint, controllers: [] });
    else if (m.fsType === "cgroup") {
      const controllers = m.superOptions
        .split(",")
        .filter(
          (o) =>
            !["rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "clone_children", "xattr"].includes(o),
        )
        .filter((o) => !o.startsWith("release_agent="));
      out.push({ mountPoint: m.mountPoint, controllers });
    }
  }
  return out;
}
