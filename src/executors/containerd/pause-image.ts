import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";
import { KukeError } from "../../model/errors.js";
import { PAUSE_COMMAND, PAUSE_IMAGE } from "../../model/normalize.js";
import type { Descriptor, ImageSource } from "../oci/image-source.js";
import { hostPlatform, MEDIA_TYPES } from "../oci/media-types.js";

/**
 * kuke's pause image and the small in-memory image builder it is made with. The synthesized root
 * of a cell only has to exist (it owns the cell's namespaces) until it is SIGKILLed, so its program
 * is a hand-assembled static ELF that sleeps in a syscall forever: no host binary, no download.
 * Everything here is deterministic (fixed mtimes, fixed gzip header) so digests are stable.
 */

/** Architectures the pause program is assembled for (OCI names). */
export type PauseArch = "amd64" | "arm64";

const LOAD_ADDRESS = 0x400000n;
const ELF_HEADER_SIZE = 64;
const PROGRAM_HEADER_SIZE = 56;

/**
 * x86_64: `mov eax, 34 (pause); syscall; jmp back`. aarch64 has no pause syscall: the loop calls
 * `ppoll(NULL, 0, NULL, NULL, 0)` (nr 73), which with no timeout blocks until a signal arrives.
 */
const PROGRAMS: Record<PauseArch, { machine: number; code: Buffer }> = {
  amd64: { machine: 62, code: Buffer.from([0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7]) },
  arm64: {
    machine: 183,
    code: words([
      0xd2800000, // mov x0, #0
      0xd2800001, // mov x1, #0
      0xd2800002, // mov x2, #0
      0xd2800003, // mov x3, #0
      0xd2800004, // mov x4, #0
      0xd2800928, // mov x8, #73 (ppoll)
      0xd4000001, // svc #0
      0x17fffff9, // b -7 instructions
    ]),
  },
};

function words(ws: number[]): Buffer {
  const b = Buffer.alloc(ws.length * 4);
  for (const [i, w] of ws.entries()) b.writeUInt32LE(w, i * 4);
  return b;
}

/**
 * A complete static ELF64 executable: header, one read+execute PT_LOAD segment mapping the whole
 * file at 0x400000, and the code right after the program header (the entry point).
 */
export function pauseElf(arch: PauseArch): Buffer {
  const program = PROGRAMS[arch];
  const codeOffset = ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE;
  const size = codeOffset + program.code.length;
  const b = Buffer.alloc(size);
  b.write("\x7fELF", 0, "latin1");
  b[4] = 2; // ELFCLASS64
  b[5] = 1; // little endian
  b[6] = 1; // EV_CURRENT
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(program.machine, 18);
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(LOAD_ADDRESS + BigInt(codeOffset), 24); // e_entry
  b.writeBigUInt64LE(BigInt(ELF_HEADER_SIZE), 32); // e_phoff
  b.writeBigUInt64LE(0n, 40); // e_shoff: no sections
  b.writeUInt32LE(0, 48);
  b.writeUInt16LE(ELF_HEADER_SIZE, 52);
  b.writeUInt16LE(PROGRAM_HEADER_SIZE, 54);
  b.writeUInt16LE(1, 56); // e_phnum
  b.writeUInt16LE(64, 58); // e_shentsize
  b.writeUInt16LE(0, 60);
  b.writeUInt16LE(0, 62);
  const ph = ELF_HEADER_SIZE;
  b.writeUInt32LE(1, ph); // PT_LOAD
  b.writeUInt32LE(5, ph + 4); // PF_R | PF_X
  b.writeBigUInt64LE(0n, ph + 8); // p_offset
  b.writeBigUInt64LE(LOAD_ADDRESS, ph + 16); // p_vaddr
  b.writeBigUInt64LE(LOAD_ADDRESS, ph + 24); // p_paddr
  b.writeBigUInt64LE(BigInt(size), ph + 32); // p_filesz
  b.writeBigUInt64LE(BigInt(size), ph + 40); // p_memsz
  b.writeBigUInt64LE(0x1000n, ph + 48); // p_align
  program.code.copy(b, codeOffset);
  return b;
}

/** One entry of a layer. Paths are relative (`bin/sh`); parents must come before children. */
export type LayerEntry =
  | { type: "directory"; path: string; mode: number }
  | { type: "file"; path: string; mode: number; content: Buffer }
  | { type: "symlink"; path: string; target: string };

/** Image config fields kuke sets on images it builds (image-spec `config.md`, `config` object). */
export interface ImageRuntimeConfig {
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  User?: string;
}

/** A one-layer image held in memory, with every blob addressable by digest. */
export interface LayerImage {
  name: string;
  manifest: { descriptor: Descriptor; bytes: Buffer };
  config: { descriptor: Descriptor; bytes: Buffer };
  /** The gzip-compressed layer as it is stored in the image. */
  layer: { descriptor: Descriptor; bytes: Buffer };
  /** The uncompressed layer tar (its sha256 is the config's `rootfs.diff_ids[0]`). */
  layerTar: Buffer;
  architecture: string;
}

/** Fixed timestamp for tar entries and the config, so the same input always yields the same digests. */
const EPOCH = new Date(0);

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Writes an uncompressed tar of `entries`, owned by root, with fixed mtimes. */
export async function buildLayerTar(entries: LayerEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    p.on("data", (c: unknown) => chunks.push(c as Buffer));
    p.on("end", () => resolve(Buffer.concat(chunks)));
    p.on("error", reject);
  });
  const common = { mtime: EPOCH, uid: 0, gid: 0, uname: "root", gname: "root" };
  for (const e of entries) {
    if (e.type === "directory") p.entry({ ...common, name: `${e.path}/`, type: "directory", mode: e.mode });
    else if (e.type === "symlink")
      p.entry({ ...common, name: e.path, type: "symlink", linkname: e.target, mode: 0o777 });
    else p.entry({ ...common, name: e.path, type: "file", mode: e.mode }, e.content);
  }
  p.finalize();
  return done;
}

function descriptorOf(mediaType: string, bytes: Buffer): Descriptor {
  return { mediaType, digest: sha256(bytes), size: bytes.length };
}

/**
 * Builds a one-layer OCI image in memory.
 * @param opts.architecture OCI architecture name. @default the host's
 */
export async function buildLayerImage(opts: {
  name: string;
  entries: LayerEntry[];
  config: ImageRuntimeConfig;
  architecture?: string;
}): Promise<LayerImage> {
  const architecture = opts.architecture ?? hostPlatform().architecture;
  const layerTar = await buildLayerTar(opts.entries);
  // gzip's header holds no mtime or name when compressing a buffer, so the output is stable.
  const layerBytes = gzipSync(layerTar, { level: 9 });
  const configBytes = Buffer.from(
    JSON.stringify({
      created: EPOCH.toISOString(),
      architecture,
      os: "linux",
      config: opts.config,
      rootfs: { type: "layers", diff_ids: [sha256(layerTar)] },
      history: [{ created: EPOCH.toISOString(), created_by: "kuke" }],
    }),
  );
  const config = { descriptor: descriptorOf(MEDIA_TYPES.ociConfig, configBytes), bytes: configBytes };
  const layer = { descriptor: descriptorOf(MEDIA_TYPES.ociLayerGzip, layerBytes), bytes: layerBytes };
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: config.descriptor,
      layers: [layer.descriptor],
    }),
  );
  return {
    name: opts.name,
    manifest: { descriptor: descriptorOf(MEDIA_TYPES.ociManifest, manifestBytes), bytes: manifestBytes },
    config,
    layer,
    layerTar,
    architecture,
  };
}

/** An `ImageSource` over an in-memory image: the importer reads its blobs from memory. */
export function layerImageSource(img: LayerImage): ImageSource {
  const blobs = new Map([
    [img.config.descriptor.digest, img.config.bytes],
    [img.layer.descriptor.digest, img.layer.bytes],
  ]);
  return {
    name: img.name,
    manifest: img.manifest,
    target: img.manifest.descriptor,
    async openBlob(d: Descriptor) {
      const bytes = blobs.get(d.digest);
      if (bytes === undefined) {
        throw new KukeError("not-found", `blob ${d.digest} is not part of image ${img.name}`);
      }
      return Readable.from([bytes]);
    },
  };
}

/**
 * Writes `img` as an archive `ctr image import`, `kuke image load` and skopeo read: an OCI image
 * layout (`oci-layout`, `index.json` naming the image, `blobs/sha256/…`) or the `docker save`
 * format (`manifest.json` with RepoTags, config, uncompressed layer tar).
 */
export async function writeImageArchive(
  img: LayerImage,
  file: string,
  format: "oci" | "docker" = "oci",
): Promise<void> {
  const p = pack();
  const add = (name: string, bytes: Buffer) => p.entry({ name, mtime: EPOCH, mode: 0o644 }, bytes);
  const hex = (digest: string) => digest.slice("sha256:".length);
  if (format === "oci") {
    add("oci-layout", Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" })));
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        {
          ...img.manifest.descriptor,
          annotations: {
            "io.containerd.image.name": img.name,
            "org.opencontainers.image.ref.name": tagOf(img.name),
          },
        },
      ],
    };
    add("index.json", Buffer.from(JSON.stringify(index)));
    p.entry({ name: "blobs/", type: "directory", mtime: EPOCH, mode: 0o755 });
    p.entry({ name: "blobs/sha256/", type: "directory", mtime: EPOCH, mode: 0o755 });
    for (const blob of [img.manifest, img.config, img.layer])
      add(`blobs/sha256/${hex(blob.descriptor.digest)}`, blob.bytes);
  } else {
    const configFile = `${hex(img.config.descriptor.digest)}.json`;
    const layerFile = `${hex(sha256(img.layerTar))}/layer.tar`;
    add(configFile, img.config.bytes);
    p.entry({ name: `${hex(sha256(img.layerTar))}/`, type: "directory", mtime: EPOCH, mode: 0o755 });
    add(layerFile, img.layerTar);
    const manifest = [{ Config: configFile, RepoTags: [familiarName(img.name)], Layers: [layerFile] }];
    add("manifest.json", Buffer.from(JSON.stringify(manifest)));
  }
  p.finalize();
  await pipeline(p, createWriteStream(file));
}

/** `docker.io/library/busybox:latest` → `latest`; the tag `docker save` and OCI ref names use. */
function tagOf(name: string): string {
  const lastSlash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  return colon > lastSlash ? name.slice(colon + 1) : "latest";
}

/** `docker.io/library/busybox:latest` → `busybox:latest`, the form `docker save` writes in RepoTags. */
function familiarName(name: string): string {
  return name.replace(/^docker\.io\/library\//, "").replace(/^docker\.io\//, "");
}

/** The pause image for `arch`: one layer holding `/pause` (0755), run as `/pause`. @default host arch */
export async function buildPauseImage(arch?: PauseArch): Promise<LayerImage> {
  const architecture = arch ?? pauseArchOf(hostPlatform().architecture);
  return buildLayerImage({
    name: PAUSE_IMAGE,
    architecture,
    entries: [{ type: "file", path: PAUSE_COMMAND.slice(1), mode: 0o755, content: pauseElf(architecture) }],
    config: { Entrypoint: [PAUSE_COMMAND], Env: ["PATH=/"] },
  });
}

function pauseArchOf(architecture: string): PauseArch {
  if (architecture === "amd64" || architecture === "arm64") return architecture;
  throw new KukeError("failed-precondition", `kuke's pause image is not available for architecture ${architecture}`, {
    remedy: "give every cell on this host an explicit root container (root: true)",
  });
}

/** The pause image as an `ImageSource` for the importer. @default host arch */
export async function pauseImageSource(arch?: PauseArch): Promise<ImageSource> {
  return layerImageSource(await buildPauseImage(arch));
}
