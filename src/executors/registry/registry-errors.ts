import { KukeError } from "../../model/errors.js";

/**
 * The one place that turns what a registry answers (HTTP status, network failure) into kuke's
 * error codes. Messages name the registry, repository and what was asked for; they never hold
 * credentials, tokens or request headers.
 */

export interface RequestContext {
  /** `127.0.0.1:5000`, `docker.io`. */
  registry: string;
  repository: string;
  /** What was being fetched, for the message: `manifest latest`, `blob sha256:…`, `token`. */
  what: string;
  /** Whether a credential for this registry was sent. */
  authenticated: boolean;
}

export function httpError(status: number, ctx: RequestContext): KukeError {
  const where = `${ctx.what} of ${ctx.registry}/${ctx.repository}`;
  if (status === 401 || status === 403) {
    return new KukeError("permission", `the registry ${ctx.registry} refused access to ${where} (HTTP ${status})`, {
      remedy: ctx.authenticated
        ? `check the username and password of the registry credential for ${ctx.registry}`
        : `add a registryCredentials entry with serverAddress: ${ctx.registry} to the realm`,
    });
  }
  if (status === 404) {
    return new KukeError("not-found", `${where} does not exist (HTTP 404)`, {
      remedy: "check the image name and tag (kuke image pull REF) and that the repository exists on the registry",
    });
  }
  if (status === 429) {
    return new KukeError(
      "retryable",
      `the registry ${ctx.registry} is rate limiting requests for ${where} (HTTP 429)`,
      {
        remedy: "wait and try again, or log in (registryCredentials) for a higher limit",
      },
    );
  }
  if (status >= 500) {
    return new KukeError("unavailable", `the registry ${ctx.registry} failed on ${where} (HTTP ${status})`, {
      remedy: "try again later",
    });
  }
  return new KukeError(
    "failed-precondition",
    `the registry ${ctx.registry} rejected the request for ${where} (HTTP ${status})`,
  );
}

/** A failure below HTTP: refused connection, DNS, TLS, reset, timeout. */
export function networkError(err: unknown, ctx: RequestContext): KukeError {
  const code = errnoOf(err);
  const reason = code !== undefined ? ` (${code})` : "";
  return new KukeError("unavailable", `cannot reach the registry ${ctx.registry} for ${ctx.what}${reason}`, {
    remedy: `check that ${ctx.registry} is the right registry and reachable from this host`,
  });
}

/** The errno-style code of a fetch failure: undici puts the socket error in `cause`. */
function errnoOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e !== null && typeof e === "object" && depth < 4; depth++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === "string") return c;
    if ((e as { name?: unknown }).name === "TimeoutError") return "timeout";
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function digestMismatch(what: string, expected: string, actual: string, ctx: RequestContext): KukeError {
  return new KukeError("runtime", `${what} from ${ctx.registry}/${ctx.repository} does not match its digest`, {
    detail: `expected ${expected}\ngot      ${actual}`,
    remedy: "pull again; if it persists, the registry or a proxy in between serves corrupted content",
  });
}

export function sizeMismatch(what: string, expected: number, actual: string, ctx: RequestContext): KukeError {
  return new KukeError("runtime", `${what} from ${ctx.registry}/${ctx.repository} has the wrong size`, {
    detail: `expected ${expected} bytes, got ${actual}`,
    remedy: "pull again; if it persists, the registry or a proxy in between serves corrupted content",
  });
}
