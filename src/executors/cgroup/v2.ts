import { type Dirent, readdirSync, readFile as readFileCallback, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { errnoOf } from "../../fs/fs-errors.js";
import { KukeError } from "../../model/errors.js";
import type { Resources } from "../../model/types.js";
import {
  type CgroupDriver,
  DEFAULT_CPU_WEIGHT,
  LIMIT_CONTROLLERS,
  pathSegments,
  roundToPage,
  sharesToWeight,
  weightToShares,
} from "./driver.js";
import { cgroupError, isMissing } from "./errno.js";

export interface CgroupV2Options {
  /** Mount point of the unified hierarchy. @default "/sys/fs/cgroup" */
  root?: string;
  /**
   * Removes one empty cgroup directory. The kernel lets rmdir drop a cgroup that only holds its
   * interface files; tests that lay out cgroup2 in a plain directory pass a remover that does the same.
   * @default fs.rmdir
   */
  removeDir?: (dir: string) => Promise<void>;
}

/** cgroup v2: one tree; controllers are switched on for children through `cgroup.subtree_control`. */
export class CgroupV2Driver implements CgroupDriver {
  readonly version = "v2" as const;
  readonly root: string;
  private readonly removeDir: (dir: string) => Promise<void>;
  private offered: Promise<string[]> | undefined;

  constructor(options: CgroupV2Options = {}) {
    this.root = options.root ?? "/sys/fs/cgroup";
    this.removeDir = options.removeDir ?? ((d) => rmdir(d));
  }

  private dir(path: string): string {
    return join(this.root, ...pathSegments(path));
  }

  /** The limit controllers (`LIMIT_CONTROLLERS`) the root offers: only those are enabled. */
  private available(): Promise<string[]> {
    this.offered ??= readFile(join(this.root, "cgroup.controllers"), "utf8").then(
      (text) => {
        const offered = new Set(text.split(/\s+/).filter(Boolean));
        return LIMIT_CONTROLLERS.filter((c) => offered.has(c));
      },
      (e) => {
        this.offered = undefined;
        throw cgroupError(e, `read ${this.root}/cgroup.controllers`);
      },
    );
    return this.offered;
  }

  async controllers(): Promise<string[]> {
    return [...(await this.available())];
  }

  async ensure(path: string, limits?: Resources): Promise<void> {
    const segments = pathSegments(path);
    const enable = (await this.available()).map((c) => `+${c}`).join(" ");
    // Controllers must be on in every ancestor's subtree_control before a child can use them; the
    // leaf itself stays without, since a cgroup holding processes cannot delegate (no internal processes).
    let current = this.root;
    for (const segment of segments) {
      if (enable) await this.write(join(current, "cgroup.subtree_control"), enable, path);
      current = join(current, segment);
      try {
        await mkdir(current);
      } catch (e) {
        if (errnoOf(e) !== "EEXIST") throw cgroupError(e, `create ${path}`);
      }
    }
    if (limits) await this.setLimits(path, limits);
  }

  async setLimits(path: string, limits: Resources): Promise<void> {
    const dir = this.dir(path);
    if (!(await this.exists(path))) throw new KukeError("not-found", `cgroup ${path} does not exist`);
    const have = new Set(await this.available());
    if (have.has("memory")) {
      const v = limits.memoryLimitBytes === undefined ? "max" : String(limits.memoryLimitBytes);
      await this.write(join(dir, "memory.max"), v, path);
    }
    if (have.has("cpu")) {
      const w = limits.cpuShares === undefined ? DEFAULT_CPU_WEIGHT : sharesToWeight(limits.cpuShares);
      await this.write(join(dir, "cpu.weight"), String(w), path);
    }
    if (have.has("pids")) {
      const v = limits.pidsLimit === undefined ? "max" : String(limits.pidsLimit);
      await this.write(join(dir, "pids.max"), v, path);
    }
  }

  async readLimits(path: string): Promise<Resources> {
    const dir = this.dir(path);
    const out: Resources = {};
    const memory = await this.readOptional(join(dir, "memory.max"), path);
    if (memory !== undefined && memory !== "max") out.memoryLimitBytes = Number(memory);
    const weight = await this.readOptional(join(dir, "cpu.weight"), path);
    if (weight !== undefined && Number(weight) !== DEFAULT_CPU_WEIGHT) out.cpuShares = weightToShares(Number(weight));
    const pids = await this.readOptional(join(dir, "pids.max"), path);
    if (pids !== undefined && pids !== "max") out.pidsLimit = Number(pids);
    return out;
  }

  effective(limits: Resources): Resources {
    const out: Resources = {};
    if (limits.memoryLimitBytes !== undefined) out.memoryLimitBytes = roundToPage(limits.memoryLimitBytes);
    if (limits.cpuShares !== undefined) {
      const w = sharesToWeight(limits.cpuShares);
      if (w !== DEFAULT_CPU_WEIGHT) out.cpuShares = weightToShares(w);
    }
    if (limits.pidsLimit !== undefined) out.pidsLimit = limits.pidsLimit;
    return out;
  }

  async remove(path: string): Promise<void> {
    const dir = this.dir(path);
    const subtree = await listSubtree(dir);
    if (subtree.length === 0) return;
    const busy = await this.pids(path);
    if (busy.length > 0) {
      throw new KukeError("busy", `cgroup ${path} still has processes`, {
        detail: `pids: ${busy.join(", ")}`,
        remedy: "stop the tasks inside it first",
      });
    }
    for (const d of subtree) {
      try {
        await this.removeDir(d);
      } catch (e) {
        if (!isMissing(e)) throw cgroupError(e, `remove ${path}`);
      }
    }
  }

  async exists(path: string): Promise<boolean> {
    return (await listSubtree(this.dir(path), 0)).length > 0;
  }

  existing(paths: readonly string[]): Promise<Set<string>> {
    return existingIn([this.root], paths);
  }

  async pids(path: string): Promise<number[]> {
    const out: number[] = [];
    for (const d of await listSubtree(this.dir(path))) out.push(...(await readProcs(d)));
    return out;
  }

  private async write(file: string, value: string, path: string): Promise<void> {
    try {
      await writeFile(file, value);
    } catch (e) {
      throw cgroupError(e, `write ${file.slice(this.root.length)} for ${path}`);
    }
  }

  private async readOptional(file: string, path: string): Promise<string | undefined> {
    try {
      return (await readFile(file, "utf8")).trim();
    } catch (e) {
      if (!isMissing(e)) throw cgroupError(e, `read ${path}`);
      if (!(await this.exists(path))) throw cgroupError(e, `read ${path}`);
      return undefined;
    }
  }
}

/**
 * Directories of the subtree at `dir`, deepest first (so removal can go in order); empty when
 * `dir` does not exist. `depth` bounds how far down to look.
 */
export async function listSubtree(dir: string, depth = Number.POSITIVE_INFINITY): Promise<string[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (isMissing(e) || errnoOf(e) === "ENOTDIR") return [];
    throw cgroupError(e, `list ${dir}`);
  }
  const out: string[] = [];
  if (depth > 0) {
    const children = entries.filter((e) => e.isDirectory()).map((e) => listSubtree(join(dir, e.name), depth - 1));
    for (const sub of await Promise.all(children)) out.push(...sub);
  }
  out.push(dir);
  return out;
}

/** Pids listed in a cgroup directory's `cgroup.procs`; none when it is gone. */
/**
 * `listSubtree` (whole depth) with synchronous calls, for `remove`: it lists a removed cgroup in
 * every hierarchy (12 on a v1 host) and reads each directory's `cgroup.procs`. These are in-kernel
 * pseudo files, answered without waiting on a disk, where a thread-pool round trip and a promise
 * per call cost node more CPU than the calls.
 */
export function listSubtreeSync(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (isMissing(e) || errnoOf(e) === "ENOTDIR") return [];
    throw cgroupError(e, `list ${dir}`);
  }
  const out: string[] = [];
  for (const e of entries) if (e.isDirectory()) out.push(...listSubtreeSync(join(dir, e.name)));
  out.push(dir);
  return out;
}

/** `readProcs` with a synchronous read (see `listSubtreeSync`). */
export function readProcsSync(dir: string): number[] {
  try {
    return parseProcs(readFileSync(join(dir, "cgroup.procs"), "utf8"));
  } catch (e) {
    if (isMissing(e)) return [];
    throw cgroupError(e, `read ${dir}/cgroup.procs`);
  }
}

function parseProcs(text: string): number[] {
  return text
    .split("\n")
    .filter((l) => l.trim().length > 0)
    .map(Number);
}

export async function readProcs(dir: string): Promise<number[]> {
  try {
    // The callback readFile, not fs/promises: on these pseudo-files (size 0, read to EOF) the
    // promise version measured about 3x slower under Node 20, and remove reads one per directory.
    return parseProcs(await readPseudoFile(join(dir, "cgroup.procs")));
  } catch (e) {
    if (isMissing(e)) return [];
    throw cgroupError(e, `read ${dir}/cgroup.procs`);
  }
}

function readPseudoFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => readFileCallback(file, "utf8", (e, text) => (e ? reject(e) : resolve(text))));
}

/**
 * Which of `paths` exist as directories under every one of `roots` (the v2 root, or each v1
 * hierarchy): paths are grouped by parent and each parent is listed once per root. A path of no
 * segments (the root itself) always exists.
 *
 * The listings are synchronous: there are hundreds (54 parents × 12 hierarchies for 50 cells on a
 * hybrid host), each a quick read of a pseudo file system, and through the thread pool they cost
 * more in callbacks than in the kernel and queued ahead of every other read (issue 13).
 */
export async function existingIn(roots: readonly string[], paths: readonly string[]): Promise<Set<string>> {
  const byParent = new Map<string, { name: string; path: string }[]>();
  const found = new Set<string>();
  for (const path of paths) {
    const segments = pathSegments(path);
    const name = segments.pop();
    if (name === undefined) {
      found.add(path);
      continue;
    }
    const parent = segments.join("/");
    const kids = byParent.get(parent);
    if (kids) kids.push({ name, path });
    else byParent.set(parent, [{ name, path }]);
  }
  for (const [parent, kids] of byParent) {
    let left = kids;
    // A root that lacks the parent or a child rules them out; the other roots are not listed for them.
    for (const r of roots) {
      if (left.length === 0) break;
      const dirs = childDirs(join(r, parent));
      left = left.filter((k) => dirs.has(k.name));
    }
    for (const k of left) found.add(k.path);
  }
  return found;
}

/** Names of the subdirectories of `dir` (its child cgroups); none when it is missing. */
function childDirs(dir: string): Set<string> {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (isMissing(e) || errnoOf(e) === "ENOTDIR") return new Set();
    throw cgroupError(e, `list ${dir}`);
  }
  const out = new Set<string>();
  for (const e of entries) if (e.isDirectory()) out.add(e.name);
  return out;
}
