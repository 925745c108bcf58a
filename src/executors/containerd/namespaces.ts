import type { ContainerdClient } from "./client.js";

/** containerd namespaces (one per realm). Namespace RPCs are not namespaced; "default" routes them. */

interface NamespaceMsg {
  name: string;
  labels: Record<string, string>;
}

const ROUTE = { namespace: "default" };

/** Every namespace with its labels. Uses List because `Namespaces.Get` on 1.6 says OK for anything. */
export async function listNamespaces(
  client: ContainerdClient,
): Promise<{ name: string; labels: Record<string, string> }[]> {
  const res = await client.unary<{ namespaces: NamespaceMsg[] }>("namespaces", "List", {}, ROUTE);
  return res.namespaces.map((n) => ({ name: n.name, labels: { ...n.labels } }));
}

/** Creates the namespace; one that already exists is left as it is (idempotent). */
export async function ensureNamespace(
  client: ContainerdClient,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  const existing = await listNamespaces(client);
  if (existing.some((n) => n.name === name)) return;
  try {
    await client.unary("namespaces", "Create", { namespace: { name, labels } }, ROUTE);
  } catch (e) {
    if ((e as { code?: string }).code !== "already-exists") throw e;
  }
}

/**
 * Deletes an empty namespace. Missing is success; one that still holds images, content,
 * snapshots, leases or containers fails with `failed-precondition` (containerd refuses).
 */
export async function deleteNamespace(client: ContainerdClient, name: string): Promise<void> {
  try {
    await client.unary("namespaces", "Delete", { name }, ROUTE);
  } catch (e) {
    if ((e as { code?: string }).code !== "not-found") throw e;
  }
}
