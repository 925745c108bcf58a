import { hostname } from "node:os";
import { isProcessAlive } from "../../fs/process-liveness.js";
import { LABELS, MANAGED_BY } from "../../model/host-names.js";
import type { CallOptions, ContainerdClient } from "./client.js";
import { listSnapshots, removeSnapshot } from "./snapshots.js";

/**
 * kuke's orphans in a containerd namespace: what a killed kuke made and never finished. Every
 * snapshot and lease kuke creates carries `kuke.dev/managed-by=kuke` (snapshots also the container's
 * `kukeon.io/*` address labels; leases the pid and host of the kuke that took them), so they are
 * found by label, never by id pattern.
 */

/** Labels of the kuke process that holds a lease: an abandoned lease is one whose holder is gone. */
export const LEASE_HOLDER = { pid: "kuke.dev/pid", host: "kuke.dev/host" } as const;

/** The labels a kuke lease carries (containerd's expiry label is added by the caller). */
export function kukeLeaseLabels(): Record<string, string> {
  return { [LABELS.managedBy]: MANAGED_BY, [LEASE_HOLDER.pid]: String(process.pid), [LEASE_HOLDER.host]: hostname() };
}

/** kuke's own labels out of a container's labels (address labels and managed-by), for its snapshot. */
export function snapshotLabelsOf(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { [LABELS.managedBy]: MANAGED_BY };
  for (const [k, v] of Object.entries(labels)) if (k.startsWith("kukeon.io/")) out[k] = v;
  return out;
}

export interface Orphans {
  /** Active snapshots kuke prepared that no container uses. */
  snapshots: string[];
  /** kuke leases whose kuke process is gone (expired ones included). */
  leases: string[];
}

/** Finds kuke's orphans in the namespace: one Snapshots.List, one Containers.List, one Leases.List. */
export async function findOrphans(client: ContainerdClient, call: CallOptions): Promise<Orphans> {
  const [snapshots, containers, leases] = await Promise.all([
    listSnapshots(client, call),
    client.unary<{ containers: { id: string; snapshot_key: string }[] }>("containers", "List", { filters: [] }, call),
    client.unary<{ leases: { id: string; labels: Record<string, string> }[] }>("leases", "List", { filters: [] }, call),
  ]);
  const used = new Set(containers.containers.map((c) => c.snapshot_key));
  const here = hostname();
  return {
    snapshots: snapshots
      .filter((s) => s.kind === "ACTIVE" && s.labels[LABELS.managedBy] === MANAGED_BY && !used.has(s.name))
      .map((s) => s.name)
      .sort(),
    leases: leases.leases
      .filter((l) => l.labels[LABELS.managedBy] === MANAGED_BY)
      .filter((l) => {
        const pid = Number(l.labels[LEASE_HOLDER.pid]);
        return l.labels[LEASE_HOLDER.host] === here && !(Number.isInteger(pid) && pid > 0 && isProcessAlive(pid));
      })
      .map((l) => l.id)
      .sort(),
  };
}

/** Removes kuke's orphans in the namespace (leases first, so nothing holds the snapshots); returns them. */
export async function removeOrphans(client: ContainerdClient, call: CallOptions): Promise<Orphans> {
  const found = await findOrphans(client, call);
  for (const id of found.leases) {
    await client.unary("leases", "Delete", { id, sync: false }, call).catch((e: unknown) => {
      if ((e as { code?: string }).code !== "not-found") throw e;
    });
  }
  for (const key of found.snapshots) await removeSnapshot(client, call, key);
  return found;
}
