import type { Resources } from "../../model/types.js";

/**
 * One interface over cgroup v2 and v1/hybrid hosts. Paths are cgroup paths relative to the cgroup
 * root, as `cgroupPath()` in `src/model/host-names.ts` makes them (`/kukeon/<realm>/…`).
 */
export interface CgroupDriver {
  /** Which cgroup layout this driver writes. */
  readonly version: "v1" | "v2";

  /**
   * Creates `path` and every missing ancestor (in every hierarchy kuke manages on v1; with the
   * controllers enabled down the path on v2), then applies `limits` when given. Idempotent: an
   * existing path is left as is apart from the limits.
   */
  ensure(path: string, limits?: Resources): Promise<void>;

  /**
   * Writes every limit of `limits`; a limit left undefined is reset to unlimited (or the kernel's
   * default weight), so removing a limit from a manifest takes effect live.
   * Throws `KukeError("not-found")` when the path does not exist.
   */
  setLimits(path: string, limits: Resources): Promise<void>;

  /**
   * The limits in force, in the same units as `Resources`; an unlimited value is undefined. Compare
   * with `effective(desired)`, since the kernel rounds memory to pages and v2 maps shares to weights.
   * Throws `KukeError("not-found")` when the path does not exist.
   */
  readLimits(path: string): Promise<Resources>;

  /**
   * What `readLimits` returns after `setLimits(path, limits)` on this host (page rounding, the
   * v2 shares → weight → shares round trip, the kernel's default cpu share). Pure.
   */
  effective(limits: Resources): Resources;

  /**
   * Removes `path` and its descendants, deepest first. Refuses with `KukeError("busy")` (nothing
   * removed) while any process is inside the subtree. A missing path is success.
   */
  remove(path: string): Promise<void>;

  /** True when `path` exists (on v1: in every hierarchy kuke manages, so a partial ensure reads as missing). */
  exists(path: string): Promise<boolean>;

  /**
   * Which of `paths` exist, as `exists` decides for each, in one pass: one directory listing per
   * distinct parent (and hierarchy) instead of one per path and hierarchy. Refresh asks this.
   */
  existing(paths: readonly string[]): Promise<Set<string>>;

  /** Process ids inside `path` and its descendants; empty when the path does not exist. */
  pids(path: string): Promise<number[]>;

  /**
   * Which of the controllers limits need (`cpu`, `memory`, `pids`) kuke's tree can use on this
   * host: on v2 those the root offers (`cgroup.controllers`), on v1 those with a mounted hierarchy.
   * Reads only. Throws `KukeError` when the cgroup file system cannot be read.
   */
  controllers(): Promise<string[]>;
}

/** The controllers kuke's limits write: `memoryLimitBytes` → memory, `cpuShares` → cpu, `pidsLimit` → pids. */
export const LIMIT_CONTROLLERS = ["cpu", "memory", "pids"] as const;

/** The kernel's default `cpu.shares` on v1 (what an unset share reads back as). */
export const DEFAULT_CPU_SHARES = 1024;
/** The kernel's default `cpu.weight` on v2. */
export const DEFAULT_CPU_WEIGHT = 100;
/** Memory limits are kept in whole pages by the kernel. */
export const PAGE_SIZE = 4096;

/** runc's mapping of v1 cpu shares [2, 262144] onto v2 cpu weight [1, 10000]. */
export function sharesToWeight(shares: number): number {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** The smallest share value that maps to `weight`, so `sharesToWeight(weightToShares(w)) === w`. */
export function weightToShares(weight: number): number {
  return 2 + Math.ceil(((weight - 1) * 262142) / 9999);
}

/** Splits a cgroup path into its segments, refusing anything that could leave the tree. */
export function pathSegments(path: string): string[] {
  const parts = path.split("/").filter((p) => p.length > 0);
  if (parts.some((p) => p === "." || p === "..")) throw new Error(`cgroup path escapes its root: ${path}`);
  return parts;
}

export function roundToPage(bytes: number): number {
  return Math.floor(bytes / PAGE_SIZE) * PAGE_SIZE;
}
