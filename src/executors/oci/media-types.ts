/**
 * Media types of image manifests, indexes, configs and layers, OCI and Docker schema 2. Registries
 * and archives use both families for the same structures, so readers accept either.
 */
export const MEDIA_TYPES = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerManifestList;
}

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPES.ociManifest || mediaType === MEDIA_TYPES.dockerManifest;
}

/** The OCI platform of this host: `process.arch` mapped to OCI's architecture names. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const ARCHES: Record<string, { architecture: string; variant?: string }> = {
  x64: { architecture: "amd64" },
  arm64: { architecture: "arm64", variant: "v8" },
  arm: { architecture: "arm", variant: "v7" },
  ia32: { architecture: "386" },
  ppc64: { architecture: "ppc64le" },
  s390x: { architecture: "s390x" },
  riscv64: { architecture: "riscv64" },
};

/** @param nodeArch a `process.arch` value. @default process.arch */
export function hostPlatform(nodeArch: string = process.arch): Platform {
  const a = ARCHES[nodeArch] ?? { architecture: nodeArch };
  return { os: "linux", ...a };
}
