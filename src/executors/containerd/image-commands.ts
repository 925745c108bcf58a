import type { BlobProgress } from "./archive-source.js";
import { ContainerdClient } from "./client.js";
import { qualifyImageName } from "./image-name.js";
import { type ImageRecord, listImages, loadImageArchive, removeImage } from "./images.js";
import type { ImportResult } from "./importer.js";
import { ensureNamespace } from "./namespaces.js";

/**
 * One call per `kuke image` subcommand (load, ls, rm): each opens a client on `address`, does its
 * work in the realm's namespace (which may not be applied yet, so images can be staged) and closes.
 */

export interface ImageCommandTarget {
  /** containerd socket or `unix:///…` address. */
  address: string;
  /** The realm's containerd namespace, e.g. `default.kukeon.io`. */
  namespace: string;
}

/** `kuke image load FILE [--name REF]`: creates the namespace if needed, then imports the archive. */
export async function imageLoad(
  t: ImageCommandTarget,
  file: string,
  opts: { name?: string; onProgress?: (p: BlobProgress) => void } = {},
): Promise<ImportResult> {
  const client = new ContainerdClient(t.address);
  try {
    await ensureNamespace(client, t.namespace);
    return await loadImageArchive(client, t.namespace, file, opts);
  } finally {
    client.close();
  }
}

/** `kuke image ls`: empty when the namespace does not exist yet. */
export async function imageList(t: ImageCommandTarget): Promise<ImageRecord[]> {
  const client = new ContainerdClient(t.address);
  try {
    return await listImages(client, t.namespace);
  } finally {
    client.close();
  }
}

/** `kuke image rm REF` (short names are qualified: `busybox` → `docker.io/library/busybox:latest`): `not-found` when absent. */
export async function imageRemove(t: ImageCommandTarget, name: string): Promise<void> {
  const client = new ContainerdClient(t.address);
  try {
    await removeImage(client, t.namespace, qualifyImageName(name));
  } finally {
    client.close();
  }
}
