import { rmdirSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { KukeError } from "../../model/errors.js";
import type { Resources } from "../../model/types.js";
import { type CgroupDriver, DEFAULT_CPU_SHARES, LIMIT_CONTROLLERS, pathSegments, roundToPage } from "./driver.js";
import { cgroupError, isMissing } from "./errno.js";
import { existingIn, listSubtree, listSubtreeSync, readProcs, readProcsSync } from "./v2.js";

/** One mounted cgroup hierarchy: where it is and which controllers (or `name=…`) it carries. */
export interface CgroupHierarchy {
  mountPoint: string;
  /** e.g. `["cpu", "cpuacct"]`, `["name=systemd"]`; empty for the unified (v2) mount of a hybrid host. */
  controllers: string[];
}

/** The kernel reports an unlimited v1 memory limit as LONG_MAX rounded to a page; anything this large is "no limit". */
const UNLIMITED_MEMORY = 2n ** 62n;

/**
 * cgroup v1 and hybrid hosts: one directory per hierarchy. kuke creates and removes its tree in
 * every mounted hierarchy (and the unified one on hybrid hosts) because runc places tasks in all of
 * them; limits go to the memory, cpu and pids hierarchies.
 */
export class CgroupV1Driver implements CgroupDriver {
  readonly version = "v1" as const;
  readonly hierarchies: readonly CgroupHierarchy[];

  constructor(hierarchies: CgroupHierarchy[]) {
    if (hierarchies.length === 0) throw new KukeError("unavailable", "no cgroup hierarchies are mounted");
    this.hierarchies = hierarchies;
  }

  async controllers(): Promise<string[]> {
    return LIMIT_CONTROLLERS.filter((c) => this.hierarchies.some((h) => h.controllers.includes(c)));
  }

  private controllerDir(controller: string, path: string): string | undefined {
    const h = this.hierarchies.find((x) => x.controllers.includes(controller));
    return h ? join(h.mountPoint, ...pathSegments(path)) : undefined;
  }

  async ensure(path: string, limits?: Resources): Promise<void> {
    const segments = pathSegments(path);
    for (const h of this.hierarchies) {
      // One recursive mkdir per hierarchy (its parents mostly exist already): it reports the first
      // level it created, so the levels made are known without a call and an EEXIST per level.
      let first: string | undefined;
      try {
        first = await mkdir(join(h.mountPoint, ...segments), { recursive: true });
      } catch (e) {
        throw cgroupError(e, `create ${path} in ${h.mountPoint}`);
      }
      if (first === undefined || !h.controllers.includes("cpuset")) continue;
      // A new cpuset cgroup starts with no cpus and no memory nodes and refuses tasks until both
      // are filled, so each level made inherits its parent's (as runc does for the levels it creates).
      let current = h.mountPoint;
      for (const segment of segments) {
        const parent = current;
        current = join(current, segment);
        if (current.length >= first.length) await inheritCpuset(parent, current, path);
      }
    }
    if (limits) await this.setLimits(path, limits);
  }

  async setLimits(path: string, limits: Resources): Promise<void> {
    if (!(await this.exists(path))) throw new KukeError("not-found", `cgroup ${path} does not exist`);
    const memory = this.controllerDir("memory", path);
    if (memory) {
      const v = limits.memoryLimitBytes === undefined ? "-1" : String(limits.memoryLimitBytes);
      await write(join(memory, "memory.limit_in_bytes"), v, path);
    }
    const cpu = this.controllerDir("cpu", path);
    if (cpu) await write(join(cpu, "cpu.shares"), String(limits.cpuShares ?? DEFAULT_CPU_SHARES), path);
    const pids = this.controllerDir("pids", path);
    if (pids)
      await write(join(pids, "pids.max"), limits.pidsLimit === undefined ? "max" : String(limits.pidsLimit), path);
  }

  async readLimits(path: string): Promise<Resources> {
    if (!(await this.exists(path))) throw new KukeError("not-found", `cgroup ${path} does not exist`);
    const out: Resources = {};
    const memory = this.controllerDir("memory", path);
    if (memory) {
      const v = BigInt(await read(join(memory, "memory.limit_in_bytes"), path));
      if (v < UNLIMITED_MEMORY) out.memoryLimitBytes = Number(v);
    }
    const cpu = this.controllerDir("cpu", path);
    if (cpu) {
      const v = Number(await read(join(cpu, "cpu.shares"), path));
      if (v !== DEFAULT_CPU_SHARES) out.cpuShares = v;
    }
    const pids = this.controllerDir("pids", path);
    if (pids) {
      const v = await read(join(pids, "pids.max"), path);
      if (v !== "max") out.pidsLimit = Number(v);
    }
    return out;
  }

  effective(limits: Resources): Resources {
    const out: Resources = {};
    if (limits.memoryLimitBytes !== undefined) out.memoryLimitBytes = roundToPage(limits.memoryLimitBytes);
    if (limits.cpuShares !== undefined && Math.max(2, limits.cpuShares) !== DEFAULT_CPU_SHARES) {
      out.cpuShares = Math.max(2, limits.cpuShares);
    }
    if (limits.pidsLimit !== undefined) out.pidsLimit = limits.pidsLimit;
    return out;
  }

  async remove(path: string): Promise<void> {
    // One walk per hierarchy serves both the busy check and the removal; the hierarchies are
    // independent trees, so they are walked and emptied in parallel.
    const trees = this.hierarchies.map((h) => listSubtreeSync(join(h.mountPoint, ...pathSegments(path))));
    const busy = [...new Set(trees.flat().flatMap(readProcsSync))];
    if (busy.length > 0) {
      throw new KukeError("busy", `cgroup ${path} still has processes`, {
        detail: `pids: ${busy.sort((a, b) => a - b).join(", ")}`,
        remedy: "stop the tasks inside it first",
      });
    }
    for (const tree of trees) {
      for (const d of tree) {
        try {
          rmdirSync(d);
        } catch (e) {
          if (!isMissing(e)) throw cgroupError(e, `remove ${d}`);
        }
      }
    }
  }

  async exists(path: string): Promise<boolean> {
    for (const h of this.hierarchies) {
      if ((await listSubtree(join(h.mountPoint, ...pathSegments(path)), 0)).length === 0) return false;
    }
    return true;
  }

  existing(paths: readonly string[]): Promise<Set<string>> {
    return existingIn(
      this.hierarchies.map((h) => h.mountPoint),
      paths,
    );
  }

  async pids(path: string): Promise<number[]> {
    const seen = new Set<number>();
    for (const h of this.hierarchies) {
      for (const d of await listSubtree(join(h.mountPoint, ...pathSegments(path)))) {
        for (const pid of await readProcs(d)) seen.add(pid);
      }
    }
    return [...seen].sort((a, b) => a - b);
  }
}

async function inheritCpuset(parent: string, child: string, path: string): Promise<void> {
  for (const file of ["cpuset.cpus", "cpuset.mems"]) {
    const mine = await read(join(child, file), path);
    if (mine === "") await write(join(child, file), await read(join(parent, file), path), path);
  }
}

async function write(file: string, value: string, path: string): Promise<void> {
  try {
    await writeFile(file, value);
  } catch (e) {
    throw cgroupError(e, `write ${file} for ${path}`);
  }
}

async function read(file: string, path: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (e) {
    throw cgroupError(e, `read ${file} for ${path}`);
  }
}
