import { labeledAddress } from "../../model/actual-state.js";
import { parseAddress } from "../../model/address.js";
import { KukeError } from "../../model/errors.js";
import { LABELS, MANAGED_BY } from "../../model/host-names.js";
import { purgeRemedy } from "../../model/remedies.js";
import type { CallOptions, ContainerdClient } from "./client.js";
import { withLease } from "./importer.js";
import { ctrSnapshotRm, findOrphans, snapshotLabelsOf } from "./orphans.js";
import { runcOptions } from "./runc-options.js";
import { type Mount, prepareSnapshot, removeSnapshot, SNAPSHOTTER } from "./snapshots.js";

/** Container records (metadata only; the running process is a task, see tasks.ts). */

export const RUNTIME = "io.containerd.runc.v2";
export const SPEC_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
/** containerd filter syntax: only containers kuke made. */
export const MANAGED_FILTER = `labels."${LABELS.managedBy}"==${MANAGED_BY}`;

export interface NewContainer {
  id: string;
  /** Image name recorded on the container (for `get` output and drift checks). */
  image: string;
  /** Chain id of the image's top layer: the parent of the container's rootfs snapshot. */
  snapshotParent: string;
  /** The OCI runtime spec, stored as JSON bytes. */
  spec: object;
  labels: Record<string, string>;
  /** runc's state directory for this container's shim. @default the shim's own (/run/containerd/runc) */
  runcRoot?: string | undefined;
}

export interface ContainerMsg {
  id: string;
  labels: Record<string, string>;
  image: string;
  snapshot_key: string;
}

function specAny(spec: object): { type_url: string; value: Buffer } {
  return { type_url: SPEC_TYPE_URL, value: Buffer.from(JSON.stringify(spec)) };
}

/**
 * Prepares the rootfs snapshot (key = container id) and creates the container record, under a
 * lease so the fresh snapshot survives GC until the record references it. If the record cannot be
 * created the snapshot is removed again. An existing container id fails with `already-exists`.
 * Returns the snapshot's mounts (the task's rootfs).
 */
export async function createContainer(client: ContainerdClient, namespace: string, c: NewContainer): Promise<Mount[]> {
  return withLease(
    client,
    namespace,
    async (call) => {
      const labels = snapshotLabelsOf(c.labels);
      let mounts: Mount[];
      try {
        mounts = await prepareSnapshot(client, call, c.id, c.snapshotParent, labels);
      } catch (e) {
        // A snapshot a killed kuke prepared for this container before creating it: kuke's own
        // orphan (its label says so, and no container uses it), so it is replaced, not in the way.
        if ((e as { code?: string }).code !== "already-exists") throw e;
        if (!(await isOrphanSnapshot(client, call, c.id))) throw await snapshotInTheWay(client, call, c.id, e);
        await removeSnapshot(client, call, c.id);
        mounts = await prepareSnapshot(client, call, c.id, c.snapshotParent, labels);
      }
      try {
        await client.unary(
          "containers",
          "Create",
          {
            container: {
              id: c.id,
              labels: c.labels,
              image: c.image,
              runtime: c.runcRoot ? { name: RUNTIME, options: runcOptions(c.runcRoot) } : { name: RUNTIME },
              spec: specAny(c.spec),
              snapshotter: SNAPSHOTTER,
              snapshot_key: c.id,
            },
          },
          call,
        );
      } catch (e) {
        await removeSnapshot(client, call, c.id).catch(() => undefined);
        throw e;
      }
      return mounts;
    },
    snapshotLabelsOf(c.labels),
  );
}

/** Replaces spec and labels of an existing container (`not-found` if missing); the snapshot stays. */
export async function updateContainer(
  client: ContainerdClient,
  call: CallOptions,
  id: string,
  spec: object,
  labels: Record<string, string>,
): Promise<void> {
  await client.unary(
    "containers",
    "Update",
    { container: { id, labels, spec: specAny(spec) }, update_mask: { paths: ["spec", "labels"] } },
    call,
  );
}

/** The container's labels; `not-found` when it is missing. */
export async function getContainerLabels(
  client: ContainerdClient,
  call: CallOptions,
  id: string,
): Promise<Record<string, string>> {
  const res = await client.unary<{ container: ContainerMsg }>("containers", "Get", { id }, call);
  return { ...res.container.labels };
}

/**
 * Sets (a string) or removes (undefined) single labels, leaving the others alone: the update mask
 * names each key (`labels.<key>`), and containerd deletes a masked key the request does not carry.
 */
export async function setContainerLabels(
  client: ContainerdClient,
  call: CallOptions,
  id: string,
  labels: Record<string, string | undefined>,
): Promise<void> {
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (v !== undefined) set[k] = v;
  await client.unary(
    "containers",
    "Update",
    { container: { id, labels: set }, update_mask: { paths: Object.keys(labels).map((k) => `labels.${k}`) } },
    call,
  );
}

/** Containers matching any of `filters` (containerd filter syntax); no filter lists them all. */
export async function listContainerRecords(
  client: ContainerdClient,
  call: CallOptions,
  filters: string[],
): Promise<ContainerMsg[]> {
  const res = await client.unary<{ containers: ContainerMsg[] }>("containers", "List", { filters }, call);
  return res.containers;
}

/** Deletes the record; missing is success. Callers delete the task and snapshot first. */
export async function deleteContainerRecord(client: ContainerdClient, call: CallOptions, id: string): Promise<void> {
  try {
    await client.unary("containers", "Delete", { id }, call);
  } catch (e) {
    if ((e as { code?: string }).code !== "not-found") throw e;
  }
}

/** The snapshot `key` is one of kuke's orphans (labeled by kuke, used by no container). */
async function isOrphanSnapshot(client: ContainerdClient, call: CallOptions, key: string): Promise<boolean> {
  return (await findOrphans(client, call)).snapshots.includes(key);
}

/**
 * The snapshot `key` that a create could not prepare, and is not kuke's orphan, named with what
 * holds it: the container of that id (the caller's `already-exists`: kuke's, unrecorded, or not
 * kuke's), another container using it, or nothing of kuke's at all (no kuke label). Each with the
 * command that clears it.
 */
async function snapshotInTheWay(client: ContainerdClient, call: CallOptions, key: string, cause: unknown) {
  const ns = call.namespace;
  const containers = await listContainerRecords(client, call, []).catch(() => [] as ContainerMsg[]);
  const own = containers.find((x) => x.id === key);
  // The container itself exists: that is the caller's `already-exists` (the engine names it).
  if (own !== undefined) return cause;
  const user = containers.find((x) => x.snapshot_key === key);
  const info = await client
    .unary<{ info: { labels: Record<string, string> } }>("snapshots", "Stat", { snapshotter: SNAPSHOTTER, key }, call)
    .then((r) => r.info.labels)
    .catch(() => ({}) as Record<string, string>);
  const rm = ctrSnapshotRm(ns, key);
  if (user !== undefined) {
    const address = labeledAddress(user.labels);
    return new KukeError(
      "failed-precondition",
      `containerd snapshot ${key} is the rootfs of container ${user.id}${address !== undefined ? ` (kuke's ${address})` : ", which is not kuke's"}`,
      {
        detail: `namespace ${ns}, snapshotter ${SNAPSHOTTER}; container ${user.id} labels: ${describeLabels(user.labels)}`,
        remedy:
          address !== undefined ? purgeRemedy(parseAddress(address)) : `ctr -n ${ns} containers rm ${user.id} && ${rm}`,
        cause,
      },
    );
  }
  return new KukeError("failed-precondition", `containerd already has a snapshot ${key} that kuke did not make`, {
    detail: `namespace ${ns}, snapshotter ${SNAPSHOTTER}; no container uses it; its labels: ${describeLabels(info)} (kuke's carry ${LABELS.managedBy}=${MANAGED_BY})`,
    remedy: rm,
    cause,
  });
}

/** `k=v, …` for a message, sorted; `none` when there are none. */
export function describeLabels(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? "none" : keys.map((k) => `${k}=${labels[k]}`).join(", ");
}
