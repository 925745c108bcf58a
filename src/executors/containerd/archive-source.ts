import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { extract } from "tar-stream";
import { errnoOf } from "../../fs/fs-errors.js";
import { KukeError } from "../../model/errors.js";
import type { Descriptor, ImageSource } from "../oci/image-source.js";
import { hostPlatform, isIndexMediaType, MEDIA_TYPES } from "../oci/media-types.js";
import { qualifyImageName } from "./image-name.js";

/**
 * Image archives on disk (`kuke image load FILE`) as an ImageSource: an OCI image layout tar
 * (`oci-layout`, `index.json`, `blobs/`) or a `docker save` tar (`manifest.json`, config JSON and
 * layer tars, from which an OCI manifest is synthesized). The tar is read once: small entries stay
 * in memory, large ones (layers) are spooled to a private temp dir that `close()` removes.
 */

const IN_MEMORY_MAX = 4 * 1024 * 1024;

export interface ArchiveImageSource extends ImageSource {
  /** Removes the spooled layers. Call once the import is done (also after a failure). */
  close(): Promise<void>;
}

type Entry = { bytes: Buffer; digest: string } | { file: string; size: number; digest: string };

function sha256(b: Buffer): string {
  return `sha256:${createHash("sha256").update(b).digest("hex")}`;
}

function invalid(file: string, what: string): KukeError {
  return new KukeError("invalid-spec", `${file} is not a loadable image archive`, {
    detail: what,
    remedy: "pass a tar written by `docker save`, `skopeo copy … oci-archive:` or `ctr image export`",
  });
}

/** Reads every entry of the tar once, hashing as it goes. Keys are normalized paths (no `./`). */
async function readTar(file: string, spool: string, inMemoryMax: number): Promise<Map<string, Entry>> {
  const entries = new Map<string, Entry>();
  const ex = extract();
  let n = 0;
  ex.on("entry", (header, stream, next) => {
    const name = header.name.replace(/^\.\//, "").replace(/\/$/, "");
    if (header.type !== "file" && header.type !== "contiguous-file") {
      stream.resume();
      stream.on("end", next);
      return;
    }
    const hash = createHash("sha256");
    if ((header.size ?? 0) <= inMemoryMax) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: unknown) => {
        const c = chunk as Buffer;
        chunks.push(c);
        hash.update(c);
      });
      stream.on("end", () => {
        entries.set(name, { bytes: Buffer.concat(chunks), digest: `sha256:${hash.digest("hex")}` });
        next();
      });
      stream.on("error", next);
      return;
    }
    const path = join(spool, `entry-${n++}`);
    const out = createWriteStream(path);
    stream.on("data", (c: unknown) => hash.update(c as Buffer));
    pipeline(stream, out).then(
      () => {
        entries.set(name, { file: path, size: header.size ?? 0, digest: `sha256:${hash.digest("hex")}` });
        next();
      },
      (e: unknown) => next(e as Error),
    );
  });
  try {
    await pipeline(createReadStream(file), ex);
  } catch (e) {
    if (errnoOf(e) === "ENOENT") throw new KukeError("not-found", `image archive ${file} does not exist`, { cause: e });
    throw invalid(file, `cannot read it as a tar: ${e instanceof Error ? e.message : String(e)}`);
  }
  return entries;
}

function entryBytes(e: Entry): Promise<Buffer> | Buffer {
  if ("bytes" in e) return e.bytes;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    createReadStream(e.file)
      .on("data", (c) => chunks.push(c as Buffer))
      .on("end", () => resolve(Buffer.concat(chunks)))
      .on("error", reject);
  });
}

function entrySize(e: Entry): number {
  return "bytes" in e ? e.bytes.length : e.size;
}

function parseJson<T>(file: string, name: string, bytes: Buffer): T {
  try {
    return JSON.parse(bytes.toString("utf8")) as T;
  } catch {
    throw invalid(file, `${name} is not valid JSON`);
  }
}

interface IndexJson {
  mediaType?: string;
  manifests?: Descriptor[];
}

/**
 * Opens an archive. `name` overrides the name recorded in the archive (required when the archive
 * names no image, e.g. an OCI layout without a ref annotation).
 */
export async function openImageArchive(
  file: string,
  opts: {
    name?: string;
    /** Entries up to this size are kept in memory, larger ones spooled to a temp dir. @default 4 MiB */
    inMemoryMaxBytes?: number;
    /** Called as each blob's bytes are read for the import (what `kuke image load` shows on a terminal). */
    onProgress?: (p: BlobProgress) => void;
  } = {},
): Promise<ArchiveImageSource> {
  const spool = await mkdtemp(join(tmpdir(), "kuke-image-"));
  try {
    const entries = await readTar(file, spool, opts.inMemoryMaxBytes ?? IN_MEMORY_MAX);
    const base = entries.has("index.json")
      ? await fromOciLayout(file, entries, opts.name)
      : entries.has("manifest.json")
        ? await fromDockerSave(file, entries, opts.name)
        : undefined;
    if (!base) throw invalid(file, "it has neither index.json (OCI layout) nor manifest.json (docker save)");
    const onProgress = opts.onProgress;
    const openBlob: ImageSource["openBlob"] = onProgress
      ? async (d) => (await base.openBlob(d)).pipe(progressCounter(d, onProgress))
      : base.openBlob;
    return { ...base, openBlob, close: () => rm(spool, { recursive: true, force: true }) };
  } catch (e) {
    await rm(spool, { recursive: true, force: true });
    throw e;
  }
}

/** A blob's bytes read so far, of its size. */
export interface BlobProgress {
  digest: string;
  bytes: number;
  total: number;
}

/** Passes a blob's bytes through, reporting the count after each chunk. */
function progressCounter(d: Descriptor, onProgress: (p: BlobProgress) => void): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      onProgress({ digest: d.digest, bytes, total: d.size });
      done(null, chunk);
    },
  });
}

function blobOpener(file: string, byDigest: Map<string, Entry>): ImageSource["openBlob"] {
  return async (d) => {
    const e = byDigest.get(d.digest);
    if (!e) throw invalid(file, `blob ${d.digest} named by the manifest is not in the archive`);
    if (e.digest !== d.digest || entrySize(e) !== d.size) {
      throw invalid(file, `blob ${d.digest} has digest ${e.digest} and size ${entrySize(e)}, expected size ${d.size}`);
    }
    return "bytes" in e ? Readable.from([e.bytes]) : createReadStream(e.file).pipe(new PassThrough());
  };
}

async function fromOciLayout(file: string, entries: Map<string, Entry>, nameOverride?: string): Promise<ImageSource> {
  const blob = (digest: string): Entry => {
    const e = entries.get(`blobs/${digest.replace(":", "/")}`);
    if (!e) throw invalid(file, `blob ${digest} is missing`);
    return e;
  };
  const index = parseJson<IndexJson>(file, "index.json", await entryBytes(entries.get("index.json")!));
  const top = index.manifests?.[0];
  if (!top) throw invalid(file, "index.json lists no manifest");
  const annotations = top.annotations ?? {};
  const recorded = annotations["io.containerd.image.name"] ?? annotations["org.opencontainers.image.ref.name"];
  // A bare ref.name ("latest") is only a tag: it cannot name the image by itself.
  const usable = recorded && /[/:]/.test(recorded) ? recorded : undefined;
  const name = nameOverride ?? usable;
  if (!name) throw invalid(file, "the archive names no image; pass a name for it");

  let target: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.size };
  let indexBytes: Buffer | undefined;
  let manifestDesc = target;
  if (isIndexMediaType(top.mediaType)) {
    indexBytes = await entryBytes(blob(top.digest));
    const nested = parseJson<IndexJson>(file, `index ${top.digest}`, indexBytes);
    const host = hostPlatform();
    const pick =
      nested.manifests?.find((m) => m.platform?.os === host.os && m.platform.architecture === host.architecture) ??
      (nested.manifests?.length === 1 ? nested.manifests[0] : undefined);
    if (!pick) throw invalid(file, `no manifest for ${host.os}/${host.architecture} in index ${top.digest}`);
    manifestDesc = { mediaType: pick.mediaType, digest: pick.digest, size: pick.size };
  } else {
    target = { ...target, mediaType: top.mediaType ?? MEDIA_TYPES.ociManifest };
    manifestDesc = target;
  }
  const manifestBytes = Buffer.from(await entryBytes(blob(manifestDesc.digest)));
  if (sha256(manifestBytes) !== manifestDesc.digest) throw invalid(file, `manifest ${manifestDesc.digest} is corrupt`);

  const byDigest = new Map<string, Entry>();
  for (const [path, e] of entries) {
    const m = /^blobs\/([a-z0-9]+)\/([a-f0-9]+)$/.exec(path);
    if (m) byDigest.set(`${m[1]}:${m[2]}`, e);
  }
  return {
    name: qualifyImageName(name),
    manifest: { descriptor: { ...manifestDesc, size: manifestBytes.length }, bytes: manifestBytes },
    target: indexBytes ? { ...target, mediaType: target.mediaType ?? MEDIA_TYPES.ociIndex } : target,
    ...(indexBytes ? { indexBytes } : {}),
    openBlob: blobOpener(file, byDigest),
  };
}

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function fromDockerSave(file: string, entries: Map<string, Entry>, nameOverride?: string): Promise<ImageSource> {
  const list = parseJson<DockerSaveEntry[]>(file, "manifest.json", await entryBytes(entries.get("manifest.json")!));
  const first = list[0];
  if (!first?.Config || !Array.isArray(first.Layers)) throw invalid(file, "manifest.json lists no image");
  const name = nameOverride ?? first.RepoTags?.[0];
  if (!name) throw invalid(file, "manifest.json names no image (RepoTags is empty); pass a name for it");
  const get = (path: string): Entry => {
    const e = entries.get(path.replace(/^\.\//, ""));
    if (!e) throw invalid(file, `${path}, named by manifest.json, is missing`);
    return e;
  };
  const config = get(first.Config);
  const byDigest = new Map<string, Entry>([[config.digest, config]]);
  const layers: Descriptor[] = [];
  for (const path of first.Layers) {
    const e = get(path);
    byDigest.set(e.digest, e);
    const head = "bytes" in e ? e.bytes.subarray(0, 2) : await firstBytes(e.file, 2);
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    layers.push({
      mediaType: gzip ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.ociLayer,
      digest: e.digest,
      size: entrySize(e),
    });
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: config.digest, size: entrySize(config) },
    layers,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const descriptor: Descriptor = { mediaType: MEDIA_TYPES.ociManifest, digest: sha256(bytes), size: bytes.length };
  return {
    name: qualifyImageName(name),
    manifest: { descriptor, bytes },
    target: descriptor,
    openBlob: blobOpener(file, byDigest),
  };
}

async function firstBytes(path: string, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const c of createReadStream(path, { start: 0, end: n - 1 })) {
    chunks.push(c as Buffer);
    got += (c as Buffer).length;
    if (got >= n) break;
  }
  return Buffer.concat(chunks);
}
