/**
 * `kuke exec`: a command in a running container, through containerd's `Tasks.Exec` (no lock and no
 * plan: it changes nothing kuke records). The container is found by its record, else by the name
 * kuke gives it; its FIFOs live under `<runtime dir>/exec`.
 */
import type { ExecSession } from "../../executors/containerd/exec.js";
import { type ContainerAddress, containerdId, formatAddress, KukeError } from "../../model/index.js";
import { execFifoRoot } from "../../state/run-path.js";
import type { HostPaths } from "../host-paths.js";
import { withHost } from "../pipeline.js";
import { realmNamespace } from "../realm-namespace.js";

export interface ExecRequest {
  /** Command and arguments. */
  args: string[];
  /** Pass stdin (`-i`). @default false */
  stdin?: boolean;
  /** Allocate a terminal (`-t`). @default false */
  tty?: boolean;
  /** Terminal size at start. */
  size?: { columns: number; rows: number };
}

/**
 * Runs `req.args` in the container's running task; `attach` wires the session's streams (and may
 * return a function run once the process ended). Resolves to the process's exit status.
 * @throws KukeError `not-found` (no such container), `failed-precondition` (no running task),
 *   `runtime` (the command could not be started).
 */
export function execInContainer(
  o: HostPaths,
  container: ContainerAddress,
  req: ExecRequest,
  attach: (session: ExecSession) => (() => void) | undefined,
): Promise<number> {
  return withHost(o, async (host) => {
    const record = await host.records.get(container);
    const namespace = record?.extra.namespace ?? (await realmNamespace(host.runPath, container.realm));
    const id = record?.extra.containerdId ?? containerdId(container);
    const known = await host.containerd.containerLabels(namespace, id).then(
      () => true,
      () => false,
    );
    if (!known) {
      throw new KukeError("not-found", `${formatAddress(container)} does not exist`, {
        address: container,
        remedy: `kuke get containers --realm ${container.realm}`,
      });
    }
    const session = await host.containerd.exec(namespace, id, {
      args: req.args,
      stdin: req.stdin === true,
      tty: req.tty === true,
      ...(req.size ? { size: req.size } : {}),
      fifoDir: execFifoRoot(host.runtimeDir),
    });
    const detach = attach(session);
    try {
      return await session.exited;
    } finally {
      detach?.();
    }
  });
}
