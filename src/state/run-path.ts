/**
 * The one place that builds paths under kuke's run path and runtime dir (DESIGN §3): records,
 * journal, lock, task logs and secret files. Everything else asks here; the executors keep their
 * own files under the directories they are given (`<runPath>/cni`, `<runtimeDir>/netns`).
 */
import { join } from "node:path";
import { type Address, addressPath, type CellAddress, type ContainerAddress } from "../model/address.js";

/** Where kuke keeps its state when nothing else is configured (DESIGN §3). */
export const DEFAULT_RUN_PATH = "/var/lib/kuke";

/** Where kuke keeps what lives only while the host is up (netns pins, secret files). */
export const DEFAULT_RUNTIME_DIR = "/run/kuke";

/** The files and folders inside a run path. Everything in `src/state` derives its paths from here. */
export interface RunPathLayout {
  readonly root: string;
  /** One JSON file per resource address (`records/<kind>/<realm>/…/<name>.json`). */
  readonly records: string;
  /** One `.jsonl` file per apply. */
  readonly journal: string;
  /** The run-path lock file. */
  readonly lock: string;
  /** Task logs, one file per container (`logPathOf`). */
  readonly logs: string;
  /** The run path's random key that secret digests are keyed with (HMAC), 0600 (`secret-key.ts`). */
  readonly secretKey: string;
  /** Validated manifests kept by `kuke plan`/`apply` for unchanged files (`runner/manifest-cache.ts`). */
  readonly manifestCache: string;
}

/** The layout under `root`; callers pass `--run-path` / `KUKE_RUN_PATH`, tests a temporary dir. */
export function runPathLayout(root: string = DEFAULT_RUN_PATH): RunPathLayout {
  return {
    root,
    records: join(root, "records"),
    journal: join(root, "journal"),
    lock: join(root, "lock"),
    logs: join(root, "logs"),
    secretKey: join(root, "secret-digest.key"),
    manifestCache: join(root, "cache", "manifests"),
  };
}

/**
 * Task logs under `logDir` (a layout's `logs`): `<realm>/<space>/<stack>/<cell>/<container>.log`
 * for a container, where its task's stdout and stderr go; for a larger scope, the directory that
 * holds the logs of every container inside it.
 */
export function logPathOf(logDir: string, a: Address): string {
  const path = addressPath(a);
  if (a.kind !== "container") return join(logDir, ...path);
  return join(logDir, ...path.slice(0, -1), `${a.container}.log`);
}

/** A container's task log: `logPathOf` for a container address. */
export function containerLogPath(logDir: string, a: ContainerAddress): string {
  return logPathOf(logDir, a);
}

/**
 * A container's previous log, beside its current one (`<log>.1`): what a replaced container wrote,
 * or what the last rotation moved aside (src/logs/log-files.ts).
 */
export function previousLogPath(logPath: string): string {
  return `${logPath}.1`;
}

/** The root of every container's secret files: `<runtimeDir>/secrets`. */
export function secretsRoot(runtimeDir: string): string {
  return join(runtimeDir, "secrets");
}

/**
 * Secret files under the runtime dir: `<runtimeDir>/secrets/<realm>/<space>/<stack>/<cell>/<container>`
 * for a container; for a larger scope, the directory holding those of every container inside it.
 */
export function secretDirOf(runtimeDir: string, a: Address): string {
  return join(secretsRoot(runtimeDir), ...addressPath(a));
}

/**
 * A cell's name-resolution files, bind-mounted into each of its containers:
 * `<runPath>/cells/<realm>/<space>/<stack>/<cell>/{hosts,resolv.conf}`; for a larger scope, the
 * directory holding those of every cell inside it.
 */
export function cellFilesDirOf(runPath: string, a: Address): string {
  return join(cellFilesRoot(runPath), ...addressPath(a));
}

/** The root of every cell's name-resolution files: `<runPath>/cells`. */
export function cellFilesRoot(runPath: string): string {
  return join(runPath, "cells");
}

/** The two files of `cellFilesDirOf` for a cell. */
export function cellFilesOf(runPath: string, cell: CellAddress): { hosts: string; resolvConf: string } {
  const dir = cellFilesDirOf(runPath, cell);
  return { hosts: join(dir, "hosts"), resolvConf: join(dir, "resolv.conf") };
}

/** Where `kuke exec` makes each exec's FIFOs (a private directory per exec, removed after it): `<runtimeDir>/exec`. */
export function execFifoRoot(runtimeDir: string): string {
  return join(runtimeDir, "exec");
}
