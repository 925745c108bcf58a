import { KukeError } from "../../model/errors.js";
import { IMAGE_PULLED_FROM_LABEL } from "../../model/host-names.js";
import type { Descriptor, ImageSource } from "../oci/image-source.js";
import { hostPlatform, isIndexMediaType, isManifestMediaType, type Platform } from "../oci/media-types.js";
import { formatReference, parseReference } from "./reference.js";
import { type FetchedManifest, RegistryClient, type RegistryClientOptions } from "./registry-client.js";
import type { PullProgress } from "./verifying-stream.js";

/**
 * `kuke image pull`: resolves a reference on its registry to one image manifest for this host's
 * platform and hands it to the containerd importer as an `ImageSource` whose blobs stream
 * verified from the registry.
 */

export interface PullOptions extends RegistryClientOptions {
  /** Platform to pick from a multi-platform index. @default hostPlatform() */
  platform?: Platform;
  /** Called as blob bytes arrive (config and layers), for a progress display. */
  onProgress?: (e: PullProgress) => void;
  /** Names to record the image under, first the main one. @default [the qualified reference] */
  names?: string[];
}

interface IndexEntry extends Descriptor {
  platform?: { architecture: string; os: string; variant?: string };
}

/**
 * @param ref any reference form users write (`busybox`, `host:5000/a/b:tag`, `…@sha256:…`).
 * @throws KukeError `invalid-spec` for a malformed reference; `not-found` when the image or a
 *   manifest for the platform does not exist; `permission`, `unavailable`, `retryable` from the
 *   registry; `runtime` when content does not match its digest.
 */
export async function pullImageSource(ref: string, opts: PullOptions = {}): Promise<ImageSource> {
  const parsed = parseReference(ref);
  const name = formatReference(parsed);
  const client = new RegistryClient(parsed.registry, parsed.repository, opts);
  const top = await client.getManifest(parsed.digest ?? parsed.tag ?? "latest");
  const topDescriptor: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };

  let manifest: FetchedManifest = top;
  let manifestDescriptor = topDescriptor;
  if (isIndexMediaType(top.mediaType)) {
    const entry = selectPlatform(
      parseJson<{ manifests?: IndexEntry[] }>(top, name).manifests ?? [],
      opts.platform ?? hostPlatform(),
      name,
    );
    manifest = await client.getManifest(entry.digest);
    if (manifest.bytes.length !== entry.size) {
      throw new KukeError("runtime", `the manifest ${entry.digest} of ${name} has the wrong size`, {
        detail: `the index says ${entry.size} bytes, the registry sent ${manifest.bytes.length}`,
      });
    }
    manifestDescriptor = {
      mediaType: entry.mediaType,
      digest: entry.digest,
      size: entry.size,
      ...(entry.platform ? { platform: entry.platform } : {}),
    };
  }
  if (!isManifestMediaType(manifest.mediaType)) {
    throw new KukeError(
      "failed-precondition",
      `${name} is not a container image (media type ${manifest.mediaType || "unknown"})`,
      {
        remedy: "check that the reference names a container image",
      },
    );
  }
  const body = parseJson<{ config?: Descriptor; layers?: Descriptor[] }>(manifest, name);
  if (!body.config?.digest || !Array.isArray(body.layers)) {
    throw new KukeError("runtime", `the manifest of ${name} has no config or no layers`);
  }
  const [first, ...aliases] = opts.names ?? [name];
  return {
    name: first ?? name,
    aliases,
    labels: { [IMAGE_PULLED_FROM_LABEL]: parsed.registry },
    manifest: { descriptor: manifestDescriptor, bytes: manifest.bytes },
    target: topDescriptor,
    ...(manifest !== top ? { indexBytes: top.bytes } : {}),
    openBlob: (d) => client.openBlob(d, opts.onProgress),
  };
}

function parseJson<T>(m: FetchedManifest, name: string): T {
  try {
    return JSON.parse(m.bytes.toString("utf8")) as T;
  } catch {
    throw new KukeError("runtime", `the manifest ${m.digest} of ${name} is not valid JSON`);
  }
}

function platformText(p: { os: string; architecture: string; variant?: string | undefined }): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

/**
 * The index entry for `want`: same os and architecture, and the same variant when both name one.
 * An exact variant match wins over an entry without a variant (arm64 images often omit `v8`).
 */
export function selectPlatform(entries: IndexEntry[], want: Platform, name: string): IndexEntry {
  const candidates = entries.filter(
    (e) =>
      e.platform?.os === want.os && e.platform.architecture === want.architecture && isManifestMediaType(e.mediaType),
  );
  const exact = candidates.find((e) => (e.platform?.variant ?? "") === (want.variant ?? ""));
  const loose = candidates.find((e) => !e.platform?.variant || !want.variant);
  const chosen = exact ?? loose;
  if (chosen === undefined) {
    const offered = entries.filter((e) => e.platform).map((e) => platformText(e.platform!));
    throw new KukeError("not-found", `${name} has no image for ${platformText(want)}`, {
      detail: `the index offers: ${offered.length > 0 ? offered.join(", ") : "no platforms"}`,
      remedy: "use an image built for this host's platform",
    });
  }
  return chosen;
}
