import { digestImageName, imageRepository, qualifyImageName } from "../executors/containerd/image-name.js";
import type { ResolvedImage } from "../executors/containerd/images.js";
import { isKukeError, KukeError, PAUSE_IMAGE, parseAddress } from "../model/index.js";
import type { ImageEnsureStep } from "../planner/step-types.js";
import type { RunContext } from "./run-context.js";
import type { StepHandler } from "./step-handler.js";

/**
 * `image.ensure`, and the image a container is made from. With a digest (resolved at plan time)
 * the content is kept under `<repository>@<digest>` and containers are made from that name, so
 * apply runs what the plan showed even when the tag has moved since; without one (the pause
 * image, plans made without refresh) the tag name is used as it is.
 */

/** The containerd image name a container spec runs. */
export function runImageName(spec: { image: string; imageDigest?: string }): string {
  return spec.imageDigest !== undefined ? digestImageName(spec.image, spec.imageDigest) : qualifyImageName(spec.image);
}

/**
 * Gives the digest name to an image record of the same repository already holding that content
 * (loaded from a file, or pulled under its tag). Returns false when there is none.
 */
async function nameLocalContent(ctx: RunContext, namespace: string, image: string, digest: string): Promise<boolean> {
  const name = digestImageName(image, digest);
  const repository = imageRepository(image);
  const images = await ctx.host.containerd.listImages(namespace).catch((e: unknown) => {
    if (isKukeError(e, "not-found")) return [];
    throw e;
  });
  const local = images.find((i) => i.digest === digest && imageRepository(i.name) === repository);
  if (local === undefined) return false;
  if (local.name !== name) await ctx.host.containerd.tagImage(namespace, local.name, name);
  ctx.forgetImage(namespace, name);
  return true;
}

/**
 * The image a container spec runs, resolved. A digest name that is missing while its content is
 * present under another name of the repository (a container updated in place whose image record
 * was renamed) is named again first.
 */
export async function resolveRunImage(
  ctx: RunContext,
  namespace: string,
  spec: { image: string; imageDigest?: string },
): Promise<ResolvedImage> {
  const name = runImageName(spec);
  try {
    return await ctx.resolveImage(namespace, name);
  } catch (e) {
    if (!isKukeError(e, "not-found") || spec.imageDigest === undefined) throw e;
    if (!(await nameLocalContent(ctx, namespace, spec.image, spec.imageDigest))) throw e;
    return ctx.resolveImage(namespace, name);
  }
}

/** Present: nothing. The pause image is built locally; anything else is pulled with the realm's logins. */
export const imageEnsure: StepHandler<"image.ensure"> = async (ctx, s) => {
  const name = runImageName({ image: s.image, ...(s.digest !== undefined ? { imageDigest: s.digest } : {}) });
  try {
    await ctx.resolveImage(s.namespace, name);
    return;
  } catch (e) {
    if (!isKukeError(e, "not-found")) throw e;
  }
  if (s.digest !== undefined && (await nameLocalContent(ctx, s.namespace, s.image, s.digest))) return;
  // The image builder and the registry client load only when an image is actually missing.
  if (name === PAUSE_IMAGE) {
    const { pauseImageSource } = await import("../executors/containerd/pause-image.js");
    await ctx.host.containerd.importImage(s.namespace, await pauseImageSource());
  } else {
    await pull(ctx, s, name);
  }
  ctx.forgetImage(s.namespace, name);
};

/**
 * Pulls by digest when the plan resolved one (`repo:tag@sha256:…` fetches exactly that content)
 * and records it under the digest name and the tag, so `kuke image ls` shows the tag it came from.
 */
async function pull(ctx: RunContext, s: ImageEnsureStep, name: string): Promise<void> {
  const tagName = qualifyImageName(s.image);
  const ref = s.digest !== undefined && !tagName.includes("@") ? `${tagName}@${s.digest}` : tagName;
  const names = s.digest !== undefined && !tagName.includes("@") ? [tagName, name] : [name];
  try {
    const { pullImageSource } = await import("../executors/registry/pull.js");
    const source = await pullImageSource(ref, { credentials: s.credentials, names });
    await ctx.host.containerd.importImage(s.namespace, source);
  } catch (e) {
    const why = isKukeError(e) ? e.message : String(e);
    const realm = parseAddress(s.address).realm;
    throw new KukeError("not-found", `image ${ref} is not loaded and cannot be pulled`, {
      address: parseAddress(s.address),
      detail: why,
      remedy: `kuke image load FILE --realm ${realm}`,
      cause: e,
    });
  }
}
