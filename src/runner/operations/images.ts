/**
 * `kuke image load|pull|ls|rm`: each resolves containerd and the realm's namespace (recorded, or
 * the default one so images can be staged before the realm is applied) and does one thing.
 */
import type { BlobProgress } from "../../executors/containerd/archive-source.js";
import { createContainerdExecutor } from "../../executors/containerd/executor.js";
import { imageList, imageLoad, imageRemove } from "../../executors/containerd/image-commands.js";
import type { ImageRecord } from "../../executors/containerd/images.js";
import type { ImportResult } from "../../executors/containerd/importer.js";
import { pullImageSource } from "../../executors/registry/pull.js";
import type { PullProgress } from "../../executors/registry/verifying-stream.js";
import { isValidName, KukeError, type RegistryCredential } from "../../model/index.js";
import { type HostPaths, resolveContainerd } from "../host-paths.js";
import { realmNamespace } from "../realm-namespace.js";

export interface ImageTargetOptions extends HostPaths {
  /** @default "default" */
  realm?: string;
}

/** Where an image command works: the answering containerd and the realm's namespace. */
export interface ImageTarget {
  address: string;
  runcRoot?: string;
  realm: string;
  namespace: string;
}

export async function imageTarget(o: ImageTargetOptions): Promise<ImageTarget> {
  const realm = o.realm ?? "default";
  if (!isValidName(realm)) {
    throw new KukeError("usage", `--realm '${realm}' is not a valid realm name`, {
      remedy: "realm names are lower-case DNS labels, e.g. --realm default",
    });
  }
  const [ctd, namespace] = await Promise.all([resolveContainerd(o), realmNamespace(o.runPath, realm)]);
  return { address: ctd.address, ...(ctd.runcRoot ? { runcRoot: ctd.runcRoot } : {}), realm, namespace };
}

/** Imports an OCI-layout or `docker save` archive into the realm's namespace. */
export async function loadImage(
  o: ImageTargetOptions & { file: string; name?: string; onProgress?: (p: BlobProgress) => void },
): Promise<ImportResult & { namespace: string }> {
  const t = await imageTarget(o);
  const result = await imageLoad(t, o.file, {
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  return { ...result, namespace: t.namespace };
}

export interface PullImageOptions extends ImageTargetOptions {
  ref: string;
  /** Registry logins (the one matching the registry is used). @default [] (anonymous) */
  credentials?: readonly RegistryCredential[];
  onProgress?: (p: PullProgress) => void;
}

/** Pulls `ref` from its registry (verified while streaming) into the realm's namespace. */
export async function pullImage(o: PullImageOptions): Promise<ImportResult & { namespace: string }> {
  const t = await imageTarget(o);
  const source = await pullImageSource(o.ref, {
    credentials: o.credentials ?? [],
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  const executor = createContainerdExecutor(t.address, t.runcRoot ? { runcRoot: t.runcRoot } : {});
  try {
    await executor.ensureNamespace(t.namespace);
    return { ...(await executor.importImage(t.namespace, source)), namespace: t.namespace };
  } finally {
    executor.close();
  }
}

export async function listImages(o: ImageTargetOptions): Promise<{ namespace: string; images: ImageRecord[] }> {
  const t = await imageTarget(o);
  return { namespace: t.namespace, images: await imageList(t) };
}

/** Removes an image record; `not-found` (with the namespace named) when it is absent. */
export async function removeImage(o: ImageTargetOptions & { ref: string }): Promise<{ namespace: string }> {
  const t = await imageTarget(o);
  try {
    await imageRemove(t, o.ref);
  } catch (e) {
    if (e instanceof KukeError && e.code === "not-found") {
      throw new KukeError("not-found", `image ${o.ref} is not in containerd namespace ${t.namespace}`, {
        remedy: `list the realm's images with kuke image ls --realm ${t.realm}`,
        cause: e,
      });
    }
    throw e;
  }
  return { namespace: t.namespace };
}
