import { execFile } from "node:child_process";
import { rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { readMountInfo } from "../../fs/mountinfo.js";

/**
 * A task whose `Tasks.Create` was abandoned: the caller died (SIGKILL, power cut of the client)
 * while containerd was creating it. containerd 1.6 cancels the create with the caller's context,
 * but the shim may already have run `runc create`, whose waiting `runc init` holds the rootfs
 * mounted, so containerd's own cleanup cannot remove the task's bundle directory. containerd then
 * lists no task for the container, yet every later `Tasks.Create` fails with
 * `failed to start shim: mkdir <bundle>: file exists` — until containerd restarts.
 *
 * Clearing it is what containerd would have done: `runc delete --force` (kills the waiting init,
 * removes runc's state and cgroup), unmount the bundle's rootfs, remove the bundle directory. Only
 * for a container with no task in containerd's list, so a live task is never touched.
 */

/** runc's state directory when containerd's shim is not given another one. */
export const DEFAULT_RUNC_ROOT = "/run/containerd/runc";

/** The runc state of a container, when runc knows it (`runc state` prints its bundle path). */
export async function runcBundleOf(runcRoot: string, namespace: string, id: string): Promise<string | undefined> {
  // runc keeps one directory per container under its root: one stat spares a process per delete.
  if (
    !(await stat(join(runcRoot, namespace, id)).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    return undefined;
  const r = await run("runc", ["--root", join(runcRoot, namespace), "state", id]);
  if (r.code !== 0) return undefined;
  try {
    const bundle = (JSON.parse(r.stdout) as { bundle?: unknown }).bundle;
    return typeof bundle === "string" && bundle !== "" ? bundle : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes an abandoned task of container `id`: its runc container (if runc has one) and its bundle
 * directory `bundle` (if given and named after the container in the namespace's folder: anything
 * else is refused, so a wrong path can never be removed). Idempotent.
 */
export async function clearAbandonedTask(
  runcRoot: string,
  namespace: string,
  id: string,
  bundle: string | undefined,
): Promise<void> {
  const known = await runcBundleOf(runcRoot, namespace, id);
  if (known !== undefined) await run("runc", ["--root", join(runcRoot, namespace), "delete", "--force", id]);
  for (const dir of new Set([bundle, known])) {
    if (dir === undefined || basename(dir) !== id || basename(dirname(dir)) !== namespace) continue;
    const rootfs = join(dir, "rootfs");
    // Stacked mounts (a retried create) are unmounted layer by layer.
    for (let i = 0; i < 8 && (await readMountInfo()).some((m) => m.mountPoint === rootfs); i++) {
      await run("umount", [rootfs]);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: "utf8" }, (err, stdout) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 127;
      resolve({ code, stdout });
    });
  });
}
