/**
 * Image digests at plan time (DESIGN §2: "images are resolved to digests at plan time, and a saved
 * plan runs exactly the digests it shows"). For every desired container this finds the digest its
 * image reference names, as the container's pull policy (or `--pull`) says, and hands it to the
 * planner as a host fact (`HostFacts.imageDigests`); the planner stays pure.
 *
 * | policy         | image recorded in the realm's namespace                     | not recorded                  |
 * | -------------- | ----------------------------------------------------------- | ----------------------------- |
 * | `Never`        | its digest                                                  | problem: `kuke image load`    |
 * | `IfNotPresent` | pulled by kuke: the registry's digest, else (unreachable) the local one with a warning; staged with `kuke image load`: its digest | the registry's digest, else a problem |
 * | `Always`       | the registry's digest, else a problem                       | the registry's digest, else a problem |
 *
 * A reference pinned by digest (`app@sha256:…`, `app:1@sha256:…`) names that digest under every
 * policy; the registry is asked only whether it can serve it when it is not present locally. The
 * pause image is kuke's own, built locally: it gets no digest.
 */
import { imageRepository, qualifyImageName } from "../executors/containerd/image-name.js";
import {
  type ActualState,
  containerAddress,
  type DesiredState,
  formatAddress,
  IMAGE_PULLED_FROM_LABEL,
  type ImageDigest,
  type ImagePullPolicy,
  isKukeError,
  PAUSE_IMAGE,
  type RegistryCredential,
  recordedNamespace,
} from "../model/index.js";
import type { Diagnostic, Plan } from "../planner/index.js";

/** How resolution looks at images; `hostImageLookup` is the real one. */
export interface ImageLookup {
  /** The image records of `namespace`; empty when it does not exist yet. Called once per namespace. */
  listImages(namespace: string): Promise<{ name: string; digest: string; labels: Record<string, string> }[]>;
  /**
   * The digest `ref` (a tag or a digest reference) names at its registry, under a short deadline.
   * @throws KukeError saying why not (`not-found`, `unavailable`, `permission`, …).
   */
  remoteDigest(ref: string, credentials: readonly RegistryCredential[]): Promise<string>;
}

/** Deadline of one manifest request: long enough for a registry, short enough for an offline host. */
export const IMAGE_RESOLVE_TIMEOUT_MS = 5_000;

/** `--pull` values, compose's spelling, as pull policies. */
export const PULL_FLAG: Readonly<Record<string, ImagePullPolicy>> = {
  missing: "IfNotPresent",
  always: "Always",
  never: "Never",
};

interface Wanted {
  address: string;
  realm: string;
  namespace: string;
  image: string;
  policy: ImagePullPolicy;
}

/** Every desired container's image, namespace and effective pull policy. */
function wantedImages(desired: DesiredState, actual: ActualState, pull: ImagePullPolicy | undefined): Wanted[] {
  const namespaces = new Map(desired.realms.map((r) => [r.name, r.spec.namespace]));
  const ns = (realm: string) => namespaces.get(realm) ?? recordedNamespace(actual, realm);
  const out: Wanted[] = [];
  for (const c of desired.cells) {
    for (const k of c.spec.containers) {
      out.push({
        address: formatAddress(containerAddress(c.realm, c.space, c.stack, c.name, k.id)),
        realm: c.realm,
        namespace: ns(c.realm),
        image: k.image,
        policy: pull ?? k.imagePullPolicy ?? "IfNotPresent",
      });
    }
  }
  for (const l of desired.looseContainers) {
    out.push({
      address: formatAddress(containerAddress(l.realm, l.space, l.stack, l.cell, l.name)),
      realm: l.realm,
      namespace: ns(l.realm),
      image: l.spec.image ?? "",
      policy: pull ?? l.spec.imagePullPolicy ?? "IfNotPresent",
    });
  }
  return out.filter((w) => w.image !== "" && qualifyImageName(w.image) !== PAUSE_IMAGE);
}

/**
 * The digest of every desired container's image, by container address. Each distinct image,
 * namespace and policy is resolved once; each namespace is listed once.
 * @param pull `--pull`, overriding every container's policy.
 */
export async function resolveImageDigests(
  desired: DesiredState,
  actual: ActualState,
  lookup: ImageLookup,
  pull?: ImagePullPolicy,
): Promise<Record<string, ImageDigest>> {
  const wanted = wantedImages(desired, actual, pull);
  const credentials = new Map(desired.realms.map((r) => [r.name, r.spec.registryCredentials]));
  const listings = new Map<string, ReturnType<ImageLookup["listImages"]>>();
  const list = (ns: string) => {
    let p = listings.get(ns);
    if (p === undefined) {
      p = lookup.listImages(ns);
      listings.set(ns, p);
    }
    return p;
  };
  const resolutions = new Map<string, Promise<ImageDigest>>();
  const out: Record<string, ImageDigest> = {};
  await Promise.all(
    wanted.map(async (w) => {
      const key = `${w.namespace}\n${w.image}\n${w.policy}`;
      let r = resolutions.get(key);
      if (r === undefined) {
        r = resolveOne(w, list, lookup, credentials.get(w.realm) ?? []);
        resolutions.set(key, r);
      }
      out[w.address] = await r;
    }),
  );
  return out;
}

async function resolveOne(
  w: Wanted,
  list: (ns: string) => ReturnType<ImageLookup["listImages"]>,
  lookup: ImageLookup,
  credentials: readonly RegistryCredential[],
): Promise<ImageDigest> {
  const name = qualifyImageName(w.image);
  const pinned = /@(sha256:[a-f0-9]{64})$/.exec(name)?.[1];
  const images = await list(w.namespace);
  const repository = imageRepository(name);
  const local =
    pinned !== undefined
      ? images.find((i) => i.digest === pinned && imageRepository(i.name) === repository)
      : images.find((i) => i.name === name);
  const where = `realm ${w.realm}`;
  if (w.policy === "Never" || (pinned !== undefined && local !== undefined)) {
    if (local !== undefined) return { digest: pinned ?? local.digest, present: true };
    return {
      problem: `image ${name} is not present in ${where} and its pull policy is Never`,
      remedy: `kuke image load FILE --realm ${w.realm} (or --pull missing to pull it)`,
    };
  }
  const askRegistry =
    w.policy === "Always" || local === undefined || local.labels[IMAGE_PULLED_FROM_LABEL] !== undefined;
  if (!askRegistry) return { digest: local!.digest, present: true };
  try {
    const digest = await lookup.remoteDigest(name, credentials);
    return { digest, present: images.some((i) => i.digest === digest && imageRepository(i.name) === repository) };
  } catch (e) {
    if (!isKukeError(e)) throw e;
    const why = e.detail ? `${e.message}: ${e.detail.split("\n")[0]}` : e.message;
    if (local !== undefined && w.policy === "IfNotPresent") {
      return {
        digest: local.digest,
        present: true,
        warning: `the registry of ${name} cannot be asked what the tag names now; the local image (${local.digest}) is used: ${why}`,
      };
    }
    return {
      problem: `image ${name} is not loaded in ${where} and cannot be pulled`,
      detail: `its registry says: ${why}`,
      remedy:
        w.policy === "Always" && local !== undefined
          ? `make the registry reachable, or plan with --pull missing to use the local image`
          : `kuke image load FILE --realm ${w.realm}, or kuke image pull ${name} --realm ${w.realm}`,
    };
  }
}

/** The lookup over containerd (one List per namespace) and the registry client (one manifest GET). */
export function hostImageLookup(containerd: {
  listImages(namespace: string): Promise<{ name: string; digest: string; labels: Record<string, string> }[]>;
}): ImageLookup {
  return {
    async listImages(namespace) {
      try {
        return await containerd.listImages(namespace);
      } catch (e) {
        if (isKukeError(e, "not-found")) return [];
        throw e;
      }
    },
    async remoteDigest(ref, credentials) {
      // Loaded only when a registry is asked: plans of loaded images never need the client.
      const { parseReference } = await import("../executors/registry/reference.js");
      const { RegistryClient } = await import("../executors/registry/registry-client.js");
      const parsed = parseReference(ref);
      const client = new RegistryClient(parsed.registry, parsed.repository, {
        credentials,
        timeoutMs: IMAGE_RESOLVE_TIMEOUT_MS,
      });
      return (await client.getManifest(parsed.digest ?? parsed.tag ?? "latest")).digest;
    },
  };
}

/**
 * `lookup` with the image listings of `namespaces` asked at once (refresh's containerd calls go out
 * alongside, instead of one more round trip after them); each is served from that one answer. A
 * listing that fails is reported to whoever asks for it, and to nobody if nobody does.
 */
export function prefetchImageListings(lookup: ImageLookup, namespaces: readonly string[]): ImageLookup {
  const listings = new Map<string, ReturnType<ImageLookup["listImages"]>>();
  for (const ns of namespaces) {
    if (listings.has(ns)) continue;
    const listing = lookup.listImages(ns);
    listing.catch(() => undefined);
    listings.set(ns, listing);
  }
  return {
    listImages: (ns) => listings.get(ns) ?? lookup.listImages(ns),
    remoteDigest: (ref, credentials) => lookup.remoteDigest(ref, credentials),
  };
}

/** One warning per distinct image that was resolved from the local record because the registry did not answer. */
export function noteImageWarnings(plan: Plan, actual: ActualState): void {
  const seen = new Set<string>();
  for (const [address, d] of Object.entries(actual.imageDigests ?? {})) {
    if (!("digest" in d) || d.warning === undefined || seen.has(d.warning)) continue;
    seen.add(d.warning);
    const warning: Diagnostic = {
      severity: "warning",
      code: "unavailable",
      address,
      summary: d.warning,
      remedy: "a tag that moved in the registry shows only once the registry answers",
    };
    plan.errors.push(warning);
  }
}
