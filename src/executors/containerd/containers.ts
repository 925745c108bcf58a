import { KukeError } from "../../model/errors.js";
import { LABELS, MANAGED_BY } from "../../model/host-names.js";
import type { CallOptions, ContainerdClient } from "./client.js";
import { withLease } from "./importer.js";
import { findOrphans, snapshotLabelsOf } from "./orphans.js";
import { runcOptions } from "./runc-options.js";
import { prepareSnapshot, removeSnapshot, SNAPSHOTTER } from "./snapshots.js";

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
 */
export async function createContainer(client: ContainerdClient, namespace: string, c: NewContainer): Promise<void> {
  await withLease(client, namespace, async (call) => {
    const labels = snapshotLabelsOf(c.labels);
    try {
      await prepareSnapshot(client, call, c.id, c.snapshotParent, labels);
    } catch (e) {
      // A snapshot a killed kuke prepared for this container before creating it: kuke's own
      // orphan (its label says so, and no container uses it), so it is replaced, not in the way.
      if ((e as { code?: string }).code !== "already-exists") throw e;
      if (!(await isOrphanSnapshot(client, call, c.id))) {
        // The container itself exists: that is the caller's `already-exists`.
        const taken = await client.unary("containers", "Get", { id: c.id }, call).then(
          () => true,
          () => false,
        );
        if (taken) throw e;
        throw new KukeError(
          "failed-precondition",
          `containerd already has a snapshot ${c.id} that is not kuke's orphan`,
          {
            detail: `snapshotter ${SNAPSHOTTER}, namespace ${namespace}: a container uses it, or kuke did not label it`,
            remedy: `ctr -n ${namespace} snapshots --snapshotter ${SNAPSHOTTER} rm ${c.id}`,
            cause: e,
          },
        );
      }
      await removeSnapshot(client, call, c.id);
      await prepareSnapshot(client, call, c.id, c.snapshotParent, labels);
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
  });
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
