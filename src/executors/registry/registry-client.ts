import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { KukeError } from "../../model/errors.js";
import type { RegistryCredential } from "../../model/types.js";
import type { Descriptor } from "../oci/image-source.js";
import { MEDIA_TYPES } from "../oci/media-types.js";
import { basicAuthorization, type Challenge, findCredential, mayCarryCredentials, parseChallenge } from "./auth.js";
import { registryBaseUrl } from "./reference.js";
import { digestMismatch, httpError, networkError, type RequestContext, sizeMismatch } from "./registry-errors.js";
import { type PullProgress, verifyingStream } from "./verifying-stream.js";

/**
 * A client of one repository of a distribution-API registry (`GET /v2/<repo>/manifests/<ref>`,
 * `GET /v2/<repo>/blobs/<digest>`), read only. It answers authentication challenges itself and
 * verifies every byte it hands out against the digest it was asked for.
 */

export interface RegistryClientOptions {
  /** Logins; the one matching the registry is used, else requests are anonymous. @default [] */
  credentials?: readonly RegistryCredential[];
  /** Deadline of each manifest or token request, in milliseconds. @default 30000 */
  timeoutMs?: number;
  /** The fetch implementation. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface FetchedManifest {
  /** From the body's `mediaType`, else the response's Content-Type. */
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

/** Media types a manifest request accepts: both families, manifests and indexes. */
const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.dockerManifest,
].join(", ");

/** Manifests are small; anything larger is not one and is not buffered. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export class RegistryClient {
  private readonly base: string;
  private readonly credential: RegistryCredential | undefined;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  /** The Authorization header that worked last; reused so each request does not start with a 401. */
  private authorization: string | undefined;

  constructor(
    readonly registry: string,
    readonly repository: string,
    opts: RegistryClientOptions = {},
  ) {
    this.base = registryBaseUrl(registry);
    this.credential = findCredential(opts.credentials ?? [], registry);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
  }

  /**
   * Fetches a manifest or index by tag or digest. When `reference` is a digest, the bytes are
   * checked against it; a `Docker-Content-Digest` header, when present, must match the bytes too.
   * @throws KukeError `not-found`, `permission`, `unavailable`, `retryable`, or `runtime` on a digest mismatch.
   */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const ctx = this.context(`manifest ${reference}`);
    const res = await this.request(`/v2/${this.repository}/manifests/${reference}`, MANIFEST_ACCEPT, ctx, true);
    const declared = Number(res.headers.get("content-length") ?? "0");
    if (declared > MAX_MANIFEST_BYTES) {
      await res.body?.cancel();
      throw sizeMismatch(ctx.what, MAX_MANIFEST_BYTES, `${declared} bytes`, ctx);
    }
    const bytes = Buffer.from(await this.readBody(res, ctx));
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (reference.startsWith("sha256:") && digest !== reference) throw digestMismatch(ctx.what, reference, digest, ctx);
    const header = res.headers.get("docker-content-digest");
    if (header?.startsWith("sha256:") && header !== digest) throw digestMismatch(ctx.what, header, digest, ctx);
    let mediaType = res.headers.get("content-type")?.split(";")[0]?.trim() ?? "";
    try {
      const body = JSON.parse(bytes.toString("utf8")) as { mediaType?: unknown };
      if (typeof body.mediaType === "string") mediaType = body.mediaType;
    } catch {
      throw new KukeError("runtime", `${ctx.what} of ${this.registry}/${this.repository} is not JSON`, {
        remedy: "check that the reference names a container image",
      });
    }
    return { mediaType, digest, bytes };
  }

  /**
   * Streams one blob. The stream fails with a KukeError (`runtime`) as soon as it runs past
   * `d.size`, or at its end when the size or the sha256 differs from `d`.
   */
  async openBlob(d: Descriptor, onProgress?: (e: PullProgress) => void): Promise<Readable> {
    const ctx = this.context(`blob ${d.digest}`);
    if (!d.digest.startsWith("sha256:")) {
      throw new KukeError("failed-precondition", `${ctx.what} uses a digest algorithm kuke cannot verify`, {
        remedy: "use an image whose blobs are addressed by sha256",
      });
    }
    const res = await this.request(`/v2/${this.repository}/blobs/${d.digest}`, "*/*", ctx, false);
    if (!res.body) throw sizeMismatch(ctx.what, d.size, "no body", ctx);
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    const verify = verifyingStream({
      digest: d.digest,
      size: d.size,
      onProgress,
      sizeError: (got) => sizeMismatch(ctx.what, d.size, got, ctx),
      digestError: (actual) => digestMismatch(ctx.what, d.digest, actual, ctx),
    });
    body.on("error", (e) => verify.destroy(networkError(e, ctx)));
    verify.on("close", () => body.destroy());
    return body.pipe(verify);
  }

  private context(what: string): RequestContext {
    return { registry: this.registry, repository: this.repository, what, authenticated: this.credential !== undefined };
  }

  /** Reads a body of at most MAX_MANIFEST_BYTES. */
  private async readBody(res: Response, ctx: RequestContext): Promise<Uint8Array> {
    try {
      const buf = new Uint8Array(await res.arrayBuffer());
      if (buf.length > MAX_MANIFEST_BYTES) throw sizeMismatch(ctx.what, MAX_MANIFEST_BYTES, `${buf.length} bytes`, ctx);
      return buf;
    } catch (e) {
      if (e instanceof KukeError) throw e;
      throw networkError(e, ctx);
    }
  }

  /**
   * One GET, answering at most one authentication challenge. `bounded` puts the request under the
   * timeout (manifests); blob downloads run as long as they make progress.
   */
  private async request(path: string, accept: string, ctx: RequestContext, bounded: boolean): Promise<Response> {
    let res = await this.send(`${this.base}${path}`, accept, this.authorization, ctx, bounded);
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get("www-authenticate"));
      await res.body?.cancel();
      const authorization = challenge ? await this.answer(challenge, ctx) : undefined;
      if (authorization === undefined) throw httpError(401, ctx);
      this.authorization = authorization;
      res = await this.send(`${this.base}${path}`, accept, authorization, ctx, bounded);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw httpError(res.status, ctx);
    }
    return res;
  }

  private async send(
    url: string,
    accept: string,
    authorization: string | undefined,
    ctx: RequestContext,
    bounded: boolean,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (authorization !== undefined) headers.authorization = authorization;
    try {
      return await this.fetchFn(url, {
        headers,
        redirect: "follow",
        ...(bounded ? { signal: AbortSignal.timeout(this.timeoutMs) } : {}),
      });
    } catch (e) {
      throw networkError(e, ctx);
    }
  }

  /** The Authorization header that answers `challenge`, or undefined when there is none to give. */
  private async answer(challenge: Challenge, ctx: RequestContext): Promise<string | undefined> {
    if (challenge.scheme === "basic") {
      return this.credential && mayCarryCredentials(this.base) ? basicAuthorization(this.credential) : undefined;
    }
    const url = new URL(challenge.realm);
    if (challenge.service !== undefined) url.searchParams.set("service", challenge.service);
    url.searchParams.set("scope", challenge.scope ?? `repository:${this.repository}:pull`);
    const tokenCtx: RequestContext = { ...ctx, what: "an access token" };
    const sendCredential = this.credential !== undefined && mayCarryCredentials(url.href);
    const headers: Record<string, string> = { accept: "application/json" };
    if (sendCredential) headers.authorization = basicAuthorization(this.credential!);
    let res: Response;
    try {
      res = await this.fetchFn(url, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw networkError(e, tokenCtx);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw httpError(res.status, { ...tokenCtx, authenticated: sendCredential });
    }
    let token: unknown;
    try {
      const body = (await res.json()) as { token?: unknown; access_token?: unknown };
      token = body.token ?? body.access_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== "string" || token === "") {
      throw new KukeError("runtime", `the token service of ${ctx.registry} answered without a token`, {
        remedy: "check the registry's authentication setup",
      });
    }
    return `Bearer ${token}`;
  }
}
