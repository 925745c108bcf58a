import { KukeError } from "../../model/errors.js";

/**
 * Image references, normalized the way docker does: `busybox` is
 * `docker.io/library/busybox:latest`, `host:port/repo:tag` names another registry, `@sha256:…`
 * pins content. One parser for pulls, records and display.
 */

export interface ImageReference {
  /** Registry as users write it: `docker.io`, `127.0.0.1:5000`, `ghcr.io`. */
  registry: string;
  /** Repository path inside the registry: `library/busybox`. */
  repository: string;
  /** `latest` when neither a tag nor a digest was given. */
  tag?: string;
  /** `sha256:<64 hex>`; when set, it is what gets fetched (the tag is only informative). */
  digest?: string;
}

export const DOCKER_HUB = "docker.io";
/** Where Docker Hub's distribution API answers; `docker.io` itself serves no /v2/. */
const DOCKER_HUB_API = "registry-1.docker.io";

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:]+\])(?::[0-9]{1,5})?$/;

function invalid(ref: string, problem: string): KukeError {
  return new KukeError("invalid-spec", `invalid image reference '${ref}': ${problem}`, {
    remedy: "write it as [registry[:port]/]repository[:tag][@sha256:<digest>], e.g. docker.io/library/busybox:latest",
  });
}

/** @throws KukeError `invalid-spec` naming what is wrong with `ref`. */
export function parseReference(ref: string): ImageReference {
  let rest = ref.trim();
  if (rest === "") throw invalid(ref, "it is empty");
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(ref, "the digest must be sha256: followed by 64 lower-case hex digits");
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(ref, `'${tag}' is not a valid tag`);
  }
  const slash = rest.indexOf("/");
  const first = slash < 0 ? "" : rest.slice(0, slash);
  // The first component names a registry only if it looks like a host; else it is Docker Hub.
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost" || first.startsWith("[");
  let registry = hasRegistry ? first : DOCKER_HUB;
  let repository = hasRegistry ? rest.slice(slash + 1) : rest;
  if (hasRegistry && !HOST.test(registry)) throw invalid(ref, `'${registry}' is not a valid registry host`);
  if (registry === "index.docker.io" || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (repository === "") throw invalid(ref, "the repository is missing");
  for (const c of repository.split("/")) {
    if (!COMPONENT.test(c)) {
      const hint = c.toLowerCase() !== c ? " (repository names are lower case)" : "";
      throw invalid(ref, `'${c}' is not a valid repository path component${hint}`);
    }
  }
  if (tag === undefined && digest === undefined) tag = "latest";
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The fully qualified name: `docker.io/library/busybox:latest`, `host:5000/a/b@sha256:…`. */
export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

/** `busybox` → `docker.io/library/busybox:latest`. @throws KukeError `invalid-spec` */
export function normalizeReference(ref: string): string {
  return formatReference(parseReference(ref));
}

/** Hosts kuke talks plain HTTP to: this machine only. Everything else is HTTPS. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith("[") ? registry.slice(0, registry.indexOf("]") + 1) : registry.split(":")[0];
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

/** Base URL of the distribution API of `registry`, e.g. `https://registry-1.docker.io`. */
export function registryBaseUrl(registry: string): string {
  const host = registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
  return `${isLoopbackRegistry(registry) ? "http" : "https"}://${host}`;
}

/**
 * The registry a credential's `serverAddress` means, in the same form as
 * `ImageReference.registry`: docker's `https://index.docker.io/v1/` is `docker.io`.
 */
export function credentialRegistry(serverAddress: string): string {
  let s = serverAddress.trim().replace(/^[a-z]+:\/\//i, "");
  const slash = s.indexOf("/");
  if (slash >= 0) s = s.slice(0, slash);
  s = s.toLowerCase();
  if (s === "index.docker.io" || s === DOCKER_HUB_API) return DOCKER_HUB;
  return s;
}
