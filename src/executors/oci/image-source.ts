import type { Readable } from "node:stream";

/**
 * Where the bytes of an image come from when kuke imports it into containerd: an archive on disk
 * (`kuke image load`) or a registry (`kuke image pull`). The importer asks for blobs by descriptor
 * and writes them through containerd's Content API; a source never talks to containerd itself.
 */

/** An OCI content descriptor (image-spec `descriptor.md`). */
export interface Descriptor {
  mediaType: string;
  /** `sha256:<hex>` */
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface ImageSource {
  /** Fully qualified name the image is recorded under, e.g. `docker.io/library/busybox:latest`. */
  name: string;
  /** Further names recorded for the same target (a digest name beside a tag). @default [] */
  aliases?: string[];
  /**
   * Labels of the image records (`IMAGE_PULLED_FROM_LABEL` for a pull). They replace a record's
   * labels, so an image loaded from a file over a pulled one no longer claims a registry. @default {}
   */
  labels?: Record<string, string>;
  /**
   * The image manifest for the host platform (an index already resolved to one manifest), with
   * its raw bytes so the digest the importer records is the digest of exactly these bytes.
   */
  manifest: { descriptor: Descriptor; bytes: Buffer };
  /**
   * The descriptor the image record points at: the index when the source had one (so
   * `image ls` shows the digest a user pulled), else the manifest. Its bytes are in `indexBytes`.
   */
  target: Descriptor;
  indexBytes?: Buffer;
  /**
   * Streams one blob (config or layer) named in the manifest. The stream's bytes must hash to
   * `d.digest` and total `d.size`; a source that can check this while streaming does so and
   * fails the stream with a KukeError otherwise.
   */
  openBlob(d: Descriptor): Promise<Readable>;
}
