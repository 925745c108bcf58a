import type { Host } from "../engine/index.js";

export type { Host } from "../engine/index.js";

import { resolveContainerdAddress } from "../executors/containerd/managed.js";

/** Where kuke finds its state and its containerd; every runner operation takes these. */
export interface HostPaths {
  /** Records, lock, journal, CNI state. @default "/var/lib/kuke" */
  runPath: string;
  /** Netns pins, managed containerd socket. @default "/run/kuke" */
  runtimeDir: string;
  /** The configured containerd socket (`--containerd-address`). */
  containerdAddress: string;
  /**
   * runc's state dir for the containers kuke creates (`--runc-root`); tests point it into their
   * own temporary dir. @default runc's own (`/run/containerd/runc`), or the managed daemon's
   */
  runcRoot?: string;
  /**
   * How long a containerd call keeps retrying while containerd restarts (it answered earlier in
   * the run, now its socket is gone): `KUKE_CONTAINERD_RETRY_TIMEOUT`. @default 20000
   */
  containerdRetryMs?: number;
  /**
   * An open host to use instead of opening one over the paths above (tests, the CLI's context):
   * the caller owns it and closes it. @default the host `openHostAt` builds
   */
  host?: Host;
}

export { DEFAULT_RUNTIME_DIR } from "../state/run-path.js";

/** The containerd that answers, as `resolveContainerdAddress` picks it (configured, else managed). */
export interface ResolvedContainerd {
  address: string;
  managed: boolean;
  /** runc state dir for containers of a managed daemon. */
  runcRoot?: string;
}

/**
 * Resolves the containerd address every command uses: the configured socket (flag or env) when it
 * answers, else kuke's managed daemon. Throws `unavailable` with a remedy when neither answers.
 */
export function resolveContainerd(paths: HostPaths): Promise<ResolvedContainerd> {
  return resolveContainerdAddress({
    address: paths.containerdAddress,
    runPath: paths.runPath,
    runtimeDir: paths.runtimeDir,
  });
}
