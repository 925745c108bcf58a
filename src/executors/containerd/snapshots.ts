import type { CallOptions, ContainerdClient } from "./client.js";

/** Snapshot RPCs on the one snapshotter kuke uses. */

export const SNAPSHOTTER = "overlayfs";

export interface Mount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

export async function prepareSnapshot(
  client: ContainerdClient,
  call: CallOptions,
  key: string,
  parent: string,
  labels: Record<string, string> = {},
): Promise<Mount[]> {
  const res = await client.unary<{ mounts: Mount[] }>(
    "snapshots",
    "Prepare",
    { snapshotter: SNAPSHOTTER, key, parent, labels },
    call,
  );
  return res.mounts;
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
