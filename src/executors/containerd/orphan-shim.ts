import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { basename } from "node:path";
import { clearAbandonedTask } from "./abandoned-task.js";

/**
 * A shim that outlived its task: a kuke killed (SIGKILL) while `Tasks.Create` of a cell's root was
 * running can leave the shim that create started alive after containerd has dropped the task. The
 * shim keeps listening on its group's socket, and containerd 1.6 hands every later create of that
 * group to whatever accepts a connection there (`shim start` reuses a socket it can connect to).
 * A leftover that accepts and never answers makes each later `Tasks.Create` of the cell wait out
 * its whole deadline, on every apply after, until the shim is gone (seen in the crash suite: the
 * repairing apply after a kill during the roots' task starts, then every kill point after it).
 *
 * The check is one stat of the socket before a group leader's create (a fresh cell has none);
 * only when it exists is anything listed.
 */

/** Where shims keep their sockets: containerd 1.6's state root, whatever the daemon's own `state` is. */
export const SHIM_SOCKET_DIR = "/run/containerd/s";

/** The path of containerd's socket as it hands it to its shims (`-address`): no `unix://`. */
export function containerdSocketPath(address: string): string {
  return address.startsWith("unix://") ? address.slice("unix://".length) : address;
}

/**
 * The socket of the shim serving group `group` in `namespace`, as containerd 1.6's runc shim names
 * it: sha256 of `<containerd socket>/<namespace>/<group>` under `SHIM_SOCKET_DIR`.
 */
export function shimSocketPath(address: string, namespace: string, group: string): string {
  const digest = createHash("sha256")
    .update(`${containerdSocketPath(address)}/${namespace}/${group}`)
    .digest("hex");
  return `${SHIM_SOCKET_DIR}/${digest}`;
}

/** True when a shim socket for the group is there (one stat). */
export function shimSocketExists(address: string, namespace: string, group: string): boolean {
  return existsSync(shimSocketPath(address, namespace, group));
}

/**
 * Pids of the containerd shims started for `group` in `namespace` by the containerd at `address`:
 * processes whose program is a `containerd-shim*` binary and whose arguments name all three. A
 * shim of another containerd, namespace or group is never listed.
 */
export function shimPids(address: string, namespace: string, group: string): number[] {
  const want = { "-namespace": namespace, "-id": group, "-address": containerdSocketPath(address) };
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // gone meanwhile
    }
    if (!basename(argv[0] ?? "").startsWith("containerd-shim")) continue;
    const matches = Object.entries(want).every(([flag, value]) => {
      const i = argv.indexOf(flag);
      return i >= 0 && argv[i + 1] === value;
    });
    if (matches) out.push(Number(name));
  }
  return out;
}

/**
 * Kills the shims of `group` (SIGKILL: one that never answers cannot be asked to stop), waits for
 * them to be gone, and removes the group's socket, so containerd's next create starts a new shim.
 * The caller has checked that containerd holds no task the shim serves. Returns the pids killed.
 */
export async function removeOrphanShim(address: string, namespace: string, group: string): Promise<number[]> {
  const pids = shimPids(address, namespace, group);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 100 && pids.some((p) => existsSync(`/proc/${p}`) && !isZombie(p)); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await rm(shimSocketPath(address, namespace, group), { force: true });
  return pids;
}

function isZombie(pid: number): boolean {
  try {
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^\d+ \(.*\) /, " "));
  } catch {
    return true;
  }
}

/** A cell's containers as containerd lists them: their ids, and whether any has a task. */
export interface CellTasks {
  ids: string[];
  withTask: boolean;
}

/**
 * Before the create of a group leader's task (a cell's root, whose id names the shim group): when a
 * shim socket for the group is there, yet containerd holds no task of the cell, the shim behind it
 * serves nothing containerd knows of. It is killed, its socket removed, and what runc kept of the
 * cell's containers cleared as for an abandoned create (`abandoned-task.ts`). `cell` answers for
 * the leader's cell (undefined: not kuke's, left alone). Returns the pids killed: none when there
 * was no socket (the usual case: one stat) or the shim serves a task.
 */
export async function clearOrphanShim(o: {
  address: string;
  namespace: string;
  group: string;
  runcRoot: string;
  cell: () => Promise<CellTasks | undefined>;
}): Promise<number[]> {
  if (!shimSocketExists(o.address, o.namespace, o.group)) return [];
  const cell = await o.cell();
  if (cell === undefined || cell.withTask) return [];
  const killed = await removeOrphanShim(o.address, o.namespace, o.group);
  for (const id of cell.ids) await clearAbandonedTask(o.runcRoot, o.namespace, id, undefined);
  return killed;
}
