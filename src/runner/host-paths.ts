import { type Host, openHost } from "../engine/index.js";
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
}

export const DEFAULT_RUNTIME_DIR = "/run/kuke";

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

/** Opens the host (executors, records, lock, journal) over the containerd that answers. */
export async function openHostAt(paths: HostPaths): Promise<Host> {
  const ctd = await resolveContainerd(paths);
  return openHost({
    runPath: paths.runPath,
    runtimeDir: paths.runtimeDir,
    containerdAddress: ctd.address,
    ...(paths.runcRoot || ctd.runcRoot ? { runcRoot: paths.runcRoot ?? ctd.runcRoot } : {}),
  });
}
