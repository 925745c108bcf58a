import type { CallOptions, ContainerdClient } from "./client.js";
import { isLeftoverSnapshotDir } from "./errors.js";

/** Snapshot RPCs on the one snapshotter kuke uses. */

export const SNAPSHOTTER = "overlayfs";

export interface Mount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

/**
 * How many leftover directories of a killed containerd one prepare gets past (each failed attempt
 * removes one; a kill leaves at most one per Prepare that was running).
 */
const LEFTOVER_DIR_ATTEMPTS = 16;

/**
 * Prepares an active snapshot `key` on `parent`. A containerd killed during an earlier Prepare can
 * leave that Prepare's directory behind under the id the next snapshot gets; the attempt that
 * meets it fails and containerd removes the directory, so the prepare is made again (the
 * containerd-restart e2e test met it: the apply that rode out the restart failed on it).
 */
export async function prepareSnapshot(
  client: ContainerdClient,
  call: CallOptions,
  key: string,
  parent: string,
  labels: Record<string, string> = {},
): Promise<Mount[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await client.unary<{ mounts: Mount[] }>(
        "snapshots",
        "Prepare",
        { snapshotter: SNAPSHOTTER, key, parent, labels },
        call,
      );
      return res.mounts;
    } catch (e) {
      if (attempt >= LEFTOVER_DIR_ATTEMPTS || !isLeftoverSnapshotDir(e)) throw e;
    }
  }
}

export async function snapshotMounts(client: ContainerdClient, call: CallOptions, key: string): Promise<Mount[]> {
  const res = await client.unary<{ mounts: Mount[] }>("snapshots", "Mounts", { snapshotter: SNAPSHOTTER, key }, call);
  return res.mounts;
}

/** True when a snapshot (active or committed) with this key or name exists. */
export async function snapshotExists(client: ContainerdClient, call: CallOptions, key: string): Promise<boolean> {
  try {
    await client.unary("snapshots", "Stat", { snapshotter: SNAPSHOTTER, key }, call);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === "not-found") return false;
    throw e;
  }
}

/** Removes a snapshot; a missing one is success. */
export async function removeSnapshot(client: ContainerdClient, call: CallOptions, key: string): Promise<void> {
  try {
    await client.unary("snapshots", "Remove", { snapshotter: SNAPSHOTTER, key }, call);
  } catch (e) {
    if ((e as { code?: string }).code !== "not-found") throw e;
  }
}

export async function commitSnapshot(
  client: ContainerdClient,
  call: CallOptions,
  name: string,
  key: string,
): Promise<void> {
  await client.unary("snapshots", "Commit", { snapshotter: SNAPSHOTTER, name, key, labels: {} }, call);
}

export interface SnapshotInfo {
  name: string;
  parent: string;
  kind: "UNKNOWN" | "VIEW" | "ACTIVE" | "COMMITTED";
  labels: Record<string, string>;
}

export async function listSnapshots(client: ContainerdClient, call: CallOptions): Promise<SnapshotInfo[]> {
  const pages = await client.collect<{ info: SnapshotInfo[] }>(
    "snapshots",
    "List",
    { snapshotter: SNAPSHOTTER, filters: [] },
    call,
  );
  return pages.flatMap((p) => p.info);
}
