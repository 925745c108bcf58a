import { hostname } from "node:os";
import { isProcessAlive } from "../../fs/process-liveness.js";
import type { ContainerdOrphan } from "../../model/actual-state.js";
import { labeledAddress } from "../../model/actual-state.js";
import { LABELS, MANAGED_BY } from "../../model/host-names.js";
import type { CallOptions, ContainerdClient } from "./client.js";
import { listSnapshots, removeSnapshot, SNAPSHOTTER } from "./snapshots.js";

/**
 * kuke's orphans in a containerd namespace: what a killed kuke made and never finished. Every
 * snapshot and lease kuke creates carries `kuke.dev/managed-by=kuke` (snapshots also the container's
 * `kukeon.io/*` address labels; leases the pid and host of the kuke that took them, and the address
 * labels of the container they were taken for), so they are found by label, never by id pattern.
 */

/** Labels of the kuke process that holds a lease: an abandoned lease is one whose holder is gone. */
export const LEASE_HOLDER = { pid: "kuke.dev/pid", host: "kuke.dev/host" } as const;

/** containerd's own lease label: the time after which its garbage collector drops the lease. */
export const LEASE_EXPIRE = "containerd.io/gc.expire";

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

interface LeaseMsg {
  id: string;
  labels: Record<string, string>;
}

/**
 * Why a kuke lease is an orphan, or undefined while its holder may still use it. A lease of a kuke
 * on another host is judged by its expiry only (its pid means nothing here).
 */
export function abandonedBecause(labels: Readonly<Record<string, string>>, now: number): string | undefined {
  const expire = Date.parse(labels[LEASE_EXPIRE] ?? "");
  if (Number.isFinite(expire) && expire <= now) return `expired at ${labels[LEASE_EXPIRE]}`;
  if (labels[LEASE_HOLDER.host] !== hostname()) return undefined;
  const pid = Number(labels[LEASE_HOLDER.pid]);
  if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) return undefined;
  return `the kuke that took it (pid ${labels[LEASE_HOLDER.pid] ?? "unknown"}) is gone`;
}

/**
 * kuke's orphans in the namespace, each with the container its labels name and why it is one:
 * one Snapshots.List and one Leases.List, plus one Containers.List unless `usedSnapshots` (the
 * snapshot keys of every container of the namespace, from a listing the caller made anyway) is given.
 */
export async function listOrphans(
  client: ContainerdClient,
  call: CallOptions,
  usedSnapshots?: Promise<Iterable<string>>,
): Promise<ContainerdOrphan[]> {
  const ns = call.namespace;
  const [snapshots, leases, used] = await Promise.all([
    listSnapshots(client, call),
    client.unary<{ leases: LeaseMsg[] }>("leases", "List", { filters: [] }, call),
    usedSnapshots ??
      client
        .unary<{ containers: { snapshot_key: string }[] }>("containers", "List", { filters: [] }, call)
        .then((r) => r.containers.map((c) => c.snapshot_key)),
  ]);
  const inUse = new Set(used);
  const out: ContainerdOrphan[] = [];
  for (const s of snapshots) {
    if (s.kind !== "ACTIVE" || s.labels[LABELS.managedBy] !== MANAGED_BY || inUse.has(s.name)) continue;
    const container = labeledAddress(s.labels);
    out.push({
      object: "snapshot",
      namespace: ns,
      id: s.name,
      ...(container !== undefined ? { container } : {}),
      why: "no container uses it",
    });
  }
  const now = Date.now();
  for (const l of leases.leases) {
    if (l.labels[LABELS.managedBy] !== MANAGED_BY) continue;
    const why = abandonedBecause(l.labels, now);
    if (why === undefined) continue;
    const container = labeledAddress(l.labels);
    out.push({ object: "lease", namespace: ns, id: l.id, ...(container !== undefined ? { container } : {}), why });
  }
  return out.sort((a, b) => a.object.localeCompare(b.object) || a.id.localeCompare(b.id));
}

/** Finds kuke's orphans in the namespace: one Snapshots.List, one Containers.List, one Leases.List. */
export async function findOrphans(client: ContainerdClient, call: CallOptions): Promise<Orphans> {
  const found = await listOrphans(client, call);
  const ids = (object: ContainerdOrphan["object"]) => found.filter((o) => o.object === object).map((o) => o.id);
  return { snapshots: ids("snapshot"), leases: ids("lease") };
}

/**
 * Removes one orphan; one already gone is success. A snapshot is removed only while it is still
 * an orphan: kuke's container keys its snapshot by its own id, so a container of that id that
 * exists by now (made after the plan looked) keeps it.
 * @returns false when the snapshot turned out to be in use and was kept
 */
export async function removeOrphan(
  client: ContainerdClient,
  call: CallOptions,
  object: ContainerdOrphan["object"],
  id: string,
): Promise<boolean> {
  if (object === "lease") {
    await deleteLease(client, call, id);
    return true;
  }
  const inUse = await client.unary("containers", "Get", { id }, call).then(
    () => true,
    (e: unknown) => {
      if ((e as { code?: string }).code === "not-found") return false;
      throw e;
    },
  );
  if (inUse) return false;
  await removeSnapshot(client, call, id);
  return true;
}

async function deleteLease(client: ContainerdClient, call: CallOptions, id: string): Promise<void> {
  await client.unary("leases", "Delete", { id, sync: false }, { namespace: call.namespace }).catch((e: unknown) => {
    if ((e as { code?: string }).code !== "not-found") throw e;
  });
}

/** Removes kuke's orphans in the namespace (leases first, so nothing holds the snapshots); returns them. */
export async function removeOrphans(client: ContainerdClient, call: CallOptions): Promise<Orphans> {
  const found = await findOrphans(client, call);
  for (const id of found.leases) await deleteLease(client, call, id);
  for (const key of found.snapshots) await removeSnapshot(client, call, key);
  return found;
}

/** The `ctr` command that removes snapshot `key` by hand (a remedy kuke prints). */
export function ctrSnapshotRm(namespace: string, key: string): string {
  return `ctr -n ${namespace} snapshots --snapshotter ${SNAPSHOTTER} rm ${key}`;
}
