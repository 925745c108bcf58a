import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { MEDIA_TYPES } from "../../../src/executors/oci/media-types.js";
import { pullImageSource } from "../../../src/executors/registry/pull.js";
import { RegistryClient } from "../../../src/executors/registry/registry-client.js";
import type { KukeError } from "../../../src/model/errors.js";
import { expectCode } from "../../harness/assert-kuke.js";
import { onTeardown } from "../../harness/teardown.js";

/**
 * Registry behaviour docker-registry cannot be made to show (corrupt blobs, token services, rate
 * limits), played by a small HTTP server on 127.0.0.1 inside the test process.
 */
const t = suite("executors/registry/fake-registry");
const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const PASSWORD = "pa55-Sekr1t-value";

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

class FakeRegistry {
  readonly requests: Array<{ path: string; authorization: string | undefined }> = [];
  /** Overrides for a path: status code, or a custom handler. */
  readonly routes = new Map<string, Handler>();
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { mediaType: string; bytes: Buffer }>();
  /** Which Authorization header /v2/ requests need; undefined means none. */
  requiredAuth: string | undefined;
  challenge = "";
  host = "";
  private server!: Server;

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    onTeardown("fake registry", () => this.stop());
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  /** Adds a one-layer image under `repo:tag`; returns the layer descriptor. */
  addImage(repo: string, tag: string, layer: Buffer) {
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { diff_ids: [] } }));
    const layerDesc = { mediaType: MEDIA_TYPES.ociLayerGzip, digest: sha(layer), size: layer.length };
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha(config), size: config.length },
        layers: [layerDesc],
      }),
    );
    this.blobs.set(sha(config), config);
    this.blobs.set(sha(layer), layer);
    const m = { mediaType: MEDIA_TYPES.ociManifest, bytes: manifest };
    this.manifests.set(`${repo}:${tag}`, m);
    this.manifests.set(`${repo}:${sha(manifest)}`, m);
    return layerDesc;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", `http://${this.host}`);
    this.requests.push({ path: url.pathname, authorization: req.headers.authorization });
    const custom = this.routes.get(url.pathname);
    if (custom) {
      custom(req, res, url);
      return;
    }
    if (this.requiredAuth !== undefined && req.headers.authorization !== this.requiredAuth) {
      res.writeHead(401, { "www-authenticate": this.challenge }).end();
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (m?.[2] === "manifests") {
      const found = this.manifests.get(`${m[1]}:${m[3]}`);
      if (!found) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": found.mediaType }).end(found.bytes);
      return;
    }
    if (m?.[2] === "blobs") {
      const found = this.blobs.get(m[3]!);
      if (!found) return void res.writeHead(404).end();
      // Two writes, so the client sees more than one chunk.
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(found.subarray(0, Math.floor(found.length / 2)));
      res.end(found.subarray(Math.floor(found.length / 2)));
      return;
    }
    res.writeHead(404).end();
  }
}

async function drain(p: Promise<NodeJS.ReadableStream>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function assertNoSecret(e: KukeError, secrets: string[]): void {
  const text = [e.format(), e.message, e.detail ?? "", e.remedy ?? "", JSON.stringify(e), String(e.stack)].join("\n");
  for (const s of secrets) assert.not.ok(text.includes(s), `error text leaks '${s}'`);
}

const LAYER = Buffer.from("a layer that is long enough to arrive in two chunks".repeat(50));

t("a blob with the right size but other content fails the stream with a digest error", async () => {
  const fake = new FakeRegistry();
  await fake.start();
  try {
    const desc = fake.addImage("app", "v1", LAYER);
    const corrupt = Buffer.from(LAYER);
    corrupt[corrupt.length - 1] = corrupt.at(-1)! ^ 0xff;
    fake.blobs.set(desc.digest, corrupt);
    const src = await pullImageSource(`${fake.host}/app:v1`);
    const e = await expectCode(drain(src.openBlob(desc)), "runtime");
    assert.match(e.message, /does not match its digest/);
    assert.match(e.detail ?? "", new RegExp(sha(corrupt)));
  } finally {
    await fake.stop();
  }
});

t("a blob longer or shorter than its descriptor fails with a size error", async () => {
  const fake = new FakeRegistry();
  await fake.start();
  try {
    const desc = fake.addImage("app", "v1", LAYER);
    const src = await pullImageSource(`${fake.host}/app:v1`);
    fake.blobs.set(desc.digest, Buffer.concat([LAYER, Buffer.from("extra")]));
    // The overflow fails the stream at once: the consumer never sees more bytes than the descriptor's.
    let seen = 0;
    const long = await src.openBlob(desc);
    const consume = async () => {
      for await (const c of long) seen += (c as Buffer).length;
    };
    assert.match((await expectCode(consume(), "runtime")).message, /wrong size/);
    assert.ok(seen <= desc.size, `the consumer saw ${seen} bytes of a ${desc.size}-byte blob before the error`);
    fake.blobs.set(desc.digest, LAYER.subarray(0, LAYER.length - 1));
    assert.match((await expectCode(drain(src.openBlob(desc)), "runtime")).message, /wrong size/);
    fake.blobs.set(desc.digest, LAYER);
    assert.ok((await drain(src.openBlob(desc))).equals(LAYER), "the intact blob still streams");
  } finally {
    await fake.stop();
  }
});

t("a manifest that does not hash to the requested digest is refused", async () => {
  const fake = new FakeRegistry();
  await fake.start();
  try {
    fake.addImage("app", "v1", LAYER);
    const wanted = `sha256:${"a".repeat(64)}`;
    fake.manifests.set(`app:${wanted}`, fake.manifests.get("app:v1")!);
    assert.match((await expectCode(pullImageSource(`${fake.host}/app@${wanted}`), "runtime")).message, /digest/);
  } finally {
    await fake.stop();
  }
});

t("a manifest larger than 4 MiB is refused, whether its size is declared or only seen", async () => {
  const fake = new FakeRegistry();
  await fake.start();
  try {
    const limit = 4 * 1024 * 1024;
    // Valid JSON past the limit, so only the size guard can refuse it.
    const big = Buffer.from(JSON.stringify({ mediaType: MEDIA_TYPES.ociManifest, pad: "x".repeat(limit) }));
    // Declared: a Content-Length over the limit is refused before the body is read (it never comes).
    fake.routes.set("/v2/declared/manifests/v1", (_req, res) => {
      res.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest, "content-length": String(limit + 1) });
      res.write("{");
    });
    // Only seen: chunked, no Content-Length; the body itself is over the limit.
    fake.routes.set("/v2/chunked/manifests/v1", (_req, res) => {
      res.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest });
      res.end(big);
    });
    for (const repo of ["declared", "chunked"]) {
      const client = new RegistryClient(fake.host, repo, { timeoutMs: 10_000 });
      const e = await expectCode(client.getManifest("v1"), "runtime");
      assert.match(e.message, /has the wrong size/, repo);
      assert.match(e.detail ?? "", new RegExp(`expected ${limit} bytes`), repo);
    }
  } finally {
    await fake.stop();
  }
});

t("a blob addressed by anything but sha256 is refused before it is requested", async () => {
  const fake = new FakeRegistry();
  await fake.start();
  try {
    const client = new RegistryClient(fake.host, "app", { timeoutMs: 10_000 });
    const desc = { mediaType: MEDIA_TYPES.ociLayerGzip, digest: `sha512:${"ab".repeat(64)}`, size: 4 };
    const e = await expectCode(client.openBlob(desc), "failed-precondition");
    assert.match(e.message, /digest algorithm kuke cannot verify/);
    assert.equal(
      fake.requests.filter((r) => r.path.includes("/blobs/")),
      [],
      "nothing was fetched",
    );
  } finally {
    await fake.stop();
  }
});

/** A registry that wants bearer tokens from its own /token service, which wants `u`/PASSWORD. */
async function bearerRegistry(opts: { anonymous: boolean }): Promise<{ fake: FakeRegistry; tokenRequests: URL[] }> {
  const fake = new FakeRegistry();
  await fake.start();
  const tokenRequests: URL[] = [];
  const token = "tok-123";
  fake.requiredAuth = `Bearer ${token}`;
  fake.challenge = `Bearer realm="http://${fake.host}/token",service="fake-registry",scope="repository:team/app:pull"`;
  fake.routes.set("/token", (req, res, url) => {
    tokenRequests.push(url);
    const basic = `Basic ${Buffer.from(`u:${PASSWORD}`).toString("base64")}`;
    if (!opts.anonymous && req.headers.authorization !== basic) return void res.writeHead(401).end();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token }));
  });
  fake.addImage("team/app", "v1", LAYER);
  return { fake, tokenRequests };
}

t("bearer auth: anonymous token, requested with service and scope, reused for later requests", async () => {
  const { fake, tokenRequests } = await bearerRegistry({ anonymous: true });
  try {
    const src = await pullImageSource(`${fake.host}/team/app:v1`);
    const manifest = JSON.parse(src.manifest.bytes.toString());
    assert.ok((await drain(src.openBlob(manifest.layers[0]))).equals(LAYER));
    assert.is(tokenRequests.length, 1, "one token for the manifest and the blob");
    assert.is(tokenRequests[0]!.searchParams.get("service"), "fake-registry");
    assert.is(tokenRequests[0]!.searchParams.get("scope"), "repository:team/app:pull");
    const blobRequest = fake.requests.find((r) => r.path.includes("/blobs/"));
    assert.is(blobRequest?.authorization, "Bearer tok-123");
  } finally {
    await fake.stop();
  }
});

t("bearer auth with credentials: the matching credential gets a token; others are not sent", async () => {
  const { fake, tokenRequests } = await bearerRegistry({ anonymous: false });
  try {
    const good = { username: "u", password: PASSWORD, serverAddress: fake.host };
    const src = await pullImageSource(`${fake.host}/team/app:v1`, {
      credentials: [{ username: "x", password: "other-registry-pw", serverAddress: "ghcr.io" }, good],
    });
    assert.is(src.name, `${fake.host}/team/app:v1`);

    const anonymous = await expectCode(
      pullImageSource(`${fake.host}/team/app:v1`, {
        credentials: [{ username: "x", password: "other-registry-pw", serverAddress: "ghcr.io" }],
      }),
      "permission",
    );
    assert.is(tokenRequests.at(-1)!.searchParams.get("scope"), "repository:team/app:pull");
    assert.match(anonymous.remedy ?? "", /registryCredentials/);

    const wrong = await expectCode(
      pullImageSource(`${fake.host}/team/app:v1`, {
        credentials: [{ username: "u", password: "wrong-Pa55word", serverAddress: `http://${fake.host}/` }],
      }),
      "permission",
    );
    assertNoSecret(wrong, ["wrong-Pa55word", Buffer.from("u:wrong-Pa55word").toString("base64")]);
    assert.match(wrong.remedy ?? "", /check the username and password/);
  } finally {
    await fake.stop();
  }
});

t("basic auth: credentials are sent when the registry asks; refusals never show them", async () => {
  const fake = new FakeRegistry();
  await fake.start();
  try {
    fake.requiredAuth = `Basic ${Buffer.from(`u:${PASSWORD}`).toString("base64")}`;
    fake.challenge = 'Basic realm="fake"';
    fake.addImage("app", "v1", LAYER);
    const src = await pullImageSource(`${fake.host}/app:v1`, { credentials: [{ username: "u", password: PASSWORD }] });
    assert.is(src.manifest.descriptor.mediaType, MEDIA_TYPES.ociManifest);
    assert.is(fake.requests[0]!.authorization, undefined, "the first request goes out without credentials");
    await expectCode(pullImageSource(`${fake.host}/app:v1`), "permission");
    const e = await expectCode(
      pullImageSource(`${fake.host}/app:v1`, { credentials: [{ username: "u", password: `${PASSWORD}x` }] }),
      "permission",
    );
    assertNoSecret(e, [PASSWORD]);
  } finally {
    await fake.stop();
  }
});

t("HTTP failures and network failures map to typed errors", async () => {
  const fake = new FakeRegistry();
  await fake.start();
  try {
    for (const [status, code] of [
      [429, "retryable"],
      [500, "unavailable"],
      [503, "unavailable"],
      [404, "not-found"],
      [403, "permission"],
      [400, "failed-precondition"],
    ] as const) {
      fake.routes.set("/v2/app/manifests/v1", (_req, res) => void res.writeHead(status).end("{}"));
      await expectCode(pullImageSource(`${fake.host}/app:v1`), code);
    }
    fake.routes.set("/v2/app/manifests/v1", (_req, res) => void res.writeHead(200).end("<html>not json</html>"));
    await expectCode(pullImageSource(`${fake.host}/app:v1`), "runtime");
  } finally {
    await fake.stop();
  }
  // A port that was just free and is closed again: the connection is refused.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const e = await expectCode(pullImageSource(`127.0.0.1:${port}/app:v1`), "unavailable");
  assert.match(e.message, /ECONNREFUSED/);
});

t.run();
