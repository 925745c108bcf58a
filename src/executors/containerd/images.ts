import { KukeError } from "../../model/errors.js";
import type { Descriptor } from "../oci/image-source.js";
import { hostPlatform, isIndexMediaType } from "../oci/media-types.js";
import type { BlobProgress } from "./archive-source.js";
import type { ContainerdClient } from "./client.js";
import { readBlob } from "./content.js";
import { chainIds, type ImageProcessConfig, parseImageConfig } from "./image-config.js";
import { type ImportResult, importImage, putImageRecord } from "./importer.js";

/** Image records in a namespace: list, remove, load from an archive, resolve for the spec builder. */

export interface ImageRecord {
  name: string;
  /** Digest of the record's target (index or manifest). */
  digest: string;
  mediaType: string;
  /** Size of the target descriptor (not the unpacked size). */
  size: number;
  labels: Record<string, string>;
}

interface ImageMsg {
  name: string;
  labels: Record<string, string>;
  target: { media_type: string; digest: string; size: number } | null;
}

function toRecord(m: ImageMsg): ImageRecord {
  return {
    name: m.name,
    digest: m.target?.digest ?? "",
    mediaType: m.target?.media_type ?? "",
    size: m.target?.size ?? 0,
    labels: { ...m.labels },
  };
}

/** Every image record in the namespace, sorted by name. */
export async function listImages(client: ContainerdClient, namespace: string): Promise<ImageRecord[]> {
  const res = await client.unary<{ images: ImageMsg[] }>("images", "List", { filters: [] }, { namespace });
  // Code-point order: the first localeCompare of a process sets up ICU's collator (~7 ms).
  return res.images.map(toRecord).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Removes the image record; containerd's GC then drops content and snapshots nothing else uses.
 * Fails with `not-found` when no such image exists (the CLI reports that to the user).
 */
export async function removeImage(client: ContainerdClient, namespace: string, name: string): Promise<void> {
  await client.unary("images", "Delete", { name, sync: true }, { namespace });
}

/**
 * Records `name` for the content of the image record `source` (same target and labels): no
 * content moves. Idempotent; `not-found` when `source` does not exist.
 */
export async function tagImage(
  client: ContainerdClient,
  namespace: string,
  source: string,
  name: string,
): Promise<void> {
  const call = { namespace };
  const { image } = await client.unary<{ image: ImageMsg }>("images", "Get", { name: source }, call);
  if (!image.target) throw new KukeError("runtime", `image ${source} has no target`);
  const t = image.target;
  await putImageRecord(client, call, name, { mediaType: t.media_type, digest: t.digest, size: t.size }, image.labels);
}

/** `kuke image load FILE`: an OCI-layout or docker-save archive into `namespace`. */
export async function loadImageArchive(
  client: ContainerdClient,
  namespace: string,
  file: string,
  opts: { name?: string; onProgress?: (p: BlobProgress) => void } = {},
): Promise<ImportResult> {
  // tar-stream and the archive reader load only for `kuke image load`.
  const { openImageArchive } = await import("./archive-source.js");
  const source = await openImageArchive(file, opts);
  try {
    return await importImage(client, namespace, source);
  } finally {
    await source.close();
  }
}

/** What container creation and the OCI spec builder need from an image. */
export interface ResolvedImage {
  name: string;
  digest: string;
  process: ImageProcessConfig;
  /** Parent snapshot for a container's rootfs. Empty for an image without layers. */
  topChainId: string;
}

/**
 * Reads the image's manifest (choosing this host's platform from an index) and config. Fails with
 * `not-found` (remedy: load or pull it) when the namespace has no such image.
 */
export async function resolveImage(client: ContainerdClient, namespace: string, name: string): Promise<ResolvedImage> {
  const call = { namespace };
  let image: ImageMsg;
  try {
    image = (await client.unary<{ image: ImageMsg }>("images", "Get", { name }, call)).image;
  } catch (e) {
    if ((e as { code?: string }).code === "not-found") {
      throw new KukeError("not-found", `image ${name} is not in containerd namespace ${namespace}`, {
        remedy: `kuke image load FILE or kuke image pull ${name}`,
        cause: e,
      });
    }
    throw e;
  }
  const target = image.target;
  if (!target) throw new KukeError("runtime", `image ${name} has no target`);
  let manifestDigest = target.digest;
  if (isIndexMediaType(target.media_type)) {
    const index = JSON.parse((await readBlob(client, call, target.digest)).toString("utf8")) as {
      manifests?: Descriptor[];
    };
    const host = hostPlatform();
    const pick =
      index.manifests?.find((m) => m.platform?.os === host.os && m.platform.architecture === host.architecture) ??
      (index.manifests?.length === 1 ? index.manifests[0] : undefined);
    if (!pick)
      throw new KukeError("failed-precondition", `image ${name} has no manifest for ${host.os}/${host.architecture}`);
    manifestDigest = pick.digest;
  }
  const manifest = JSON.parse((await readBlob(client, call, manifestDigest)).toString("utf8")) as {
    config?: Descriptor;
  };
  if (!manifest.config) throw new KukeError("runtime", `image ${name}: manifest ${manifestDigest} has no config`);
  const config = parseImageConfig(await readBlob(client, call, manifest.config.digest));
  const chains = chainIds(config.diffIds);
  return { name, digest: target.digest, process: config.process, topChainId: chains[chains.length - 1] ?? "" };
}
