import { randomBytes } from "node:crypto";
import { KukeError } from "../../model/errors.js";
import type { Descriptor, ImageSource } from "../oci/image-source.js";
import { isIndexMediaType } from "../oci/media-types.js";
import type { CallOptions, ContainerdClient } from "./client.js";
import { writeBlob } from "./content.js";
import { chainIds, parseImageConfig } from "./image-config.js";
import { kukeLeaseLabels, LEASE_EXPIRE } from "./orphans.js";
import { commitSnapshot, prepareSnapshot, removeSnapshot, SNAPSHOTTER, snapshotExists } from "./snapshots.js";

/**
 * ImageSource → containerd: blobs into the content store, the image record, and the unpacked
 * layer snapshots. Everything happens under a lease so the garbage collector cannot take a blob
 * or snapshot before the references that keep it (GC labels, the image record) are in place.
 */

export interface ImportResult {
  name: string;
  /** Digest of the descriptor the image record points at. */
  digest: string;
  /** Chain id of the top layer: the parent snapshot of containers made from this image. */
  topChainId: string;
  blobsWritten: number;
  layersUnpacked: number;
}

interface ManifestJson {
  config?: Descriptor;
  layers?: Descriptor[];
}

const LEASE_TTL_MS = 60 * 60 * 1000;

/**
 * Runs `fn` under a fresh lease, deleted afterwards; the lease also expires on its own after an hour.
 * `labels` (a container's `kukeon.io/*` labels) say whose work it holds, so an abandoned one is
 * attributed to that container.
 */
export async function withLease<T>(
  client: ContainerdClient,
  namespace: string,
  fn: (call: CallOptions) => Promise<T>,
  labels: Record<string, string> = {},
): Promise<T> {
  const id = `kuke-${Date.now()}-${randomBytes(4).toString("hex")}`;
  const expire = new Date(Date.now() + LEASE_TTL_MS).toISOString();
  await client.unary(
    "leases",
    "Create",
    { id, labels: { ...labels, ...kukeLeaseLabels(), [LEASE_EXPIRE]: expire } },
    { namespace },
  );
  try {
    return await fn({ namespace, lease: id });
  } finally {
    await client.unary("leases", "Delete", { id, sync: false }, { namespace }).catch(() => undefined);
  }
}

function refLabels(prefix: string, ds: Descriptor[]): Record<string, string> {
  return Object.fromEntries(ds.map((d, i) => [`containerd.io/gc.ref.content.${prefix}${i}`, d.digest]));
}

/** Imports `source` into `namespace`, creating or repointing the image record `source.name`. */
export async function importImage(
  client: ContainerdClient,
  namespace: string,
  source: ImageSource,
): Promise<ImportResult> {
  const manifest = JSON.parse(source.manifest.bytes.toString("utf8")) as ManifestJson;
  const configDesc = manifest.config;
  const layers = manifest.layers ?? [];
  if (!configDesc) {
    throw new KukeError(
      "invalid-spec",
      `image ${source.name}: manifest ${source.manifest.descriptor.digest} has no config`,
    );
  }
  return withLease(client, namespace, async (call) => {
    let written = 0;
    const count = (r: "written" | "present") => {
      if (r === "written") written++;
    };
    for (const layer of layers) count(await writeBlob(client, call, layer, await source.openBlob(layer)));

    const configBytes = await readAll(await source.openBlob(configDesc));
    const config = parseImageConfig(configBytes);
    if (config.diffIds.length !== layers.length) {
      throw new KukeError(
        "invalid-spec",
        `image ${source.name}: config lists ${config.diffIds.length} diff ids for ${layers.length} layers`,
      );
    }
    const chains = chainIds(config.diffIds);
    const top = chains[chains.length - 1] ?? "";
    const configLabels: Record<string, string> = top ? { [`containerd.io/gc.ref.snapshot.${SNAPSHOTTER}`]: top } : {};
    count(await writeBlob(client, call, configDesc, configBytes, configLabels));

    const manifestLabels = { "containerd.io/gc.ref.content.config": configDesc.digest, ...refLabels("l.", layers) };
    count(await writeBlob(client, call, source.manifest.descriptor, source.manifest.bytes, manifestLabels));
    if (source.indexBytes && isIndexMediaType(source.target.mediaType)) {
      const indexLabels = refLabels("m.", [source.manifest.descriptor]);
      count(await writeBlob(client, call, source.target, source.indexBytes, indexLabels));
    }

    const unpacked = await unpack(client, call, layers, chains);
    for (const name of [source.name, ...(source.aliases ?? [])]) {
      await putImageRecord(client, call, name, source.target, source.labels ?? {});
    }
    return {
      name: source.name,
      digest: source.target.digest,
      topChainId: top,
      blobsWritten: written,
      layersUnpacked: unpacked,
    };
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

/**
 * Prepare → Diff.Apply → Commit(chain id) per layer, skipping layers already committed (shared
 * with another image). Returns how many layers were applied.
 */
async function unpack(
  client: ContainerdClient,
  call: CallOptions,
  layers: Descriptor[],
  chains: string[],
): Promise<number> {
  let applied = 0;
  for (const [i, layer] of layers.entries()) {
    const chain = chains[i]!;
    if (await snapshotExists(client, call, chain)) continue;
    const key = `kuke-extract-${randomBytes(6).toString("hex")} ${chain}`;
    const mounts = await prepareSnapshot(client, call, key, i === 0 ? "" : chains[i - 1]!);
    try {
      await client.unary(
        "diff",
        "Apply",
        { diff: { media_type: layer.mediaType, digest: layer.digest, size: layer.size, annotations: {} }, mounts },
        { ...call, timeoutMs: 10 * 60_000 },
      );
      await commitSnapshot(client, call, chain, key);
      applied++;
    } catch (e) {
      await removeSnapshot(client, call, key).catch(() => undefined);
      // Another import committed the same layer meanwhile: that is what we wanted.
      if ((e as { code?: string }).code !== "already-exists") throw e;
    }
  }
  return applied;
}

/** Creates or repoints the image record `name` (exported for `tagImage`). */
export async function putImageRecord(
  client: ContainerdClient,
  call: CallOptions,
  name: string,
  target: Descriptor,
  labels: Record<string, string>,
): Promise<void> {
  const image = {
    name,
    labels,
    target: { media_type: target.mediaType, digest: target.digest, size: target.size, annotations: {} },
  };
  try {
    await client.unary("images", "Create", { image }, call);
  } catch (e) {
    if ((e as { code?: string }).code !== "already-exists") throw e;
    await client.unary("images", "Update", { image, update_mask: { paths: ["target", "labels"] } }, call);
  }
}
