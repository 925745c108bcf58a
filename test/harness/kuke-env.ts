import { join } from "node:path";

/**
 * The environment kuke reads to find its host, for a test or benchmark of its own. A type alias,
 * not an interface, so that it passes where an environment (`Record<string, string>`) is asked for.
 */
export type KukeEnv = {
  KUKE_RUN_PATH: string;
  KUKE_RUNTIME_DIR: string;
  KUKE_CONTAINERD_ADDRESS: string;
  KUKE_RUNC_ROOT: string;
};

/**
 * kuke's environment for a run whose files live in `dir` (run path `dir/run`, runtime dir
 * `dir/rt`), against the test containerd `ctd` (harness/containerd.ts).
 */
export function kukeEnv(dir: string, ctd: { address: string; runcRoot: string }): KukeEnv {
  return {
    KUKE_RUN_PATH: join(dir, "run"),
    KUKE_RUNTIME_DIR: join(dir, "rt"),
    KUKE_CONTAINERD_ADDRESS: ctd.address,
    KUKE_RUNC_ROOT: ctd.runcRoot,
  };
}
