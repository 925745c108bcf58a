import { readFileSync } from "node:fs";
import { readText } from "./small-file.js";

/** This process's mount table. */
export const MOUNTINFO_PATH = "/proc/self/mountinfo";

/** One line of `/proc/PID/mountinfo` (proc(5)), the fields kuke reads. */
export interface MountEntry {
  /** The mount's root inside its file system (`/` for a whole hierarchy). */
  root: string;
  /** Where it is mounted, with the kernel's octal escapes (`\040` for a space) decoded. */
  mountPoint: string;
  /** e.g. `cgroup`, `cgroup2`, `nsfs`, `proc`. */
  fsType: string;
  /** Per-superblock options (for a v1 cgroup hierarchy: its controllers among them). */
  superOptions: string;
}

/**
 * The one parser of the mount table: cgroup hierarchies (the cgroup executor, runc's leftovers,
 * `kuke init`) and netns pins (the CNI executor) are all read through it.
 */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    // fields: id parent major:minor root mountpoint options [optional…] - fstype source superoptions
    const sep = line.indexOf(" - ");
    if (sep === -1) continue;
    const left = line.slice(0, sep).split(" ");
    const right = line.slice(sep + 3).split(" ");
    const mountPoint = left[4];
    if (left[3] === undefined || !mountPoint) continue;
    out.push({
      root: decodeOctal(left[3]),
      mountPoint: decodeOctal(mountPoint),
      fsType: right[0] ?? "",
      superOptions: right[2] ?? "",
    });
  }
  return out;
}

/** The current mount table, read with the fast small-file reader. */
export async function readMountInfo(path = MOUNTINFO_PATH): Promise<MountEntry[]> {
  return parseMountInfo(await readText(path));
}

/**
 * The current mount table, for the synchronous callers (`kuke init`'s report, runc cleanup defaults,
 * refresh's netns pins).
 */
export function readMountInfoSync(path = MOUNTINFO_PATH): MountEntry[] {
  return parseMountInfo(readFileSync(path, "utf8"));
}

/** Undoes the kernel's escaping of space, tab, newline and backslash in mountinfo paths. */
function decodeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}
