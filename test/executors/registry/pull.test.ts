import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ContainerdClient } from "../../../src/executors/containerd/client.js";
import { importImage } from "../../../src/executors/containerd/importer.js";
import { buildLayerImage } from "../../../src/executors/containerd/pause-image.js";
import type { Descriptor, ImageSource } from "../../../src/executors/oci/image-source.js";
import { hostPlatform, MEDIA_TYPES } from "../../../src/executors/oci/media-types.js";
import { pullImageSource } from "../../../src/executors/registry/pull.js";
import type { PullProgress } from "../../../src/executors/registry/verifying-stream.js";
import { expectCode } from "../../harness/assert-kuke.js";
import { buildBusyboxImage } from "../../harness/busybox-image.js";
import { ctrFor, sharedContainerd } from "../../harness/containerd.js";
import { pushBlob, pushManifest, seedBusybox, sharedRegistry, type TestRegistry } from "../../harness/registry.js";
import { onTeardown } from "../../harness/teardown.js";

const run = promisify(execFile);
const t = suite("executors/registry/pull");
const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

let reg: TestRegistry;
t.before(async () => {
  reg = await sharedRegistry();
  await seedBusybox(reg);
});

async function readBlob(src: ImageSource, d: Descriptor): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await src.openBlob(d)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

t("pulls the seeded busybox: manifest, config and layer all verify", async () => {
  const events: PullProgress[] = [];
  const src = await pullImageSource(`${reg.host}/library/busybox`, { onProgress: (e) => events.push(e) });
  assert.is(src.name, `${reg.host}/library/busybox:latest`);
  const local = await buildBusyboxImage();
  assert.is(src.manifest.descriptor.digest, local.manifest.descriptor.digest, "skopeo keeps the manifest bytes");
  assert.is(sha(src.manifest.bytes), src.manifest.descriptor.digest);
  assert.is(src.target.digest, src.manifest.descriptor.digest, "no index: the target is the manifest");
  assert.is(src.indexBytes, undefined);
  const manifest = JSON.parse(src.manifest.bytes.toString());
  const config = await readBlob(src, manifest.config);
  assert.is(sha(config), manifest.config.digest);
  const layer = await readBlob(src, manifest.layers[0]);
  assert.is(sha(layer), manifest.layers[0].digest);
  assert.equal(JSON.parse(config.toString()).rootfs.diff_ids, [sha(gunzipSync(layer))]);
  const layerEvents = events.filter((e) => e.digest === manifest.layers[0].digest);
  assert.ok(layerEvents.length > 0);
  assert.ok(
    layerEvents.every((e, i) => i === 0 || e.bytes > layerEvents[i - 1]!.bytes),
    "progress only grows",
  );
  assert.is(layerEvents.at(-1)!.bytes, manifest.layers[0].size);
  assert.is(layerEvents.at(-1)!.total, manifest.layers[0].size);
});

t("pulls an image pushed with Docker schema 2 media types", async () => {
  await seedBusybox(reg, "library/busybox-docker:v1", "docker");
  const src = await pullImageSource(`${reg.host}/library/busybox-docker:v1`);
  assert.is(src.manifest.descriptor.mediaType, MEDIA_TYPES.dockerManifest);
  const manifest = JSON.parse(src.manifest.bytes.toString());
  assert.is(manifest.config.mediaType, MEDIA_TYPES.dockerConfig);
  for (const d of [manifest.config, ...manifest.layers]) assert.is(sha(await readBlob(src, d)), d.digest);
});

t("pulls by digest and fails cleanly for unknown tags, digests and repositories", async () => {
  const byTag = await pullImageSource(`${reg.host}/library/busybox:latest`);
  const byDigest = await pullImageSource(`${reg.host}/library/busybox@${byTag.manifest.descriptor.digest}`);
  assert.is(byDigest.manifest.descriptor.digest, byTag.manifest.descriptor.digest);
  assert.is(byDigest.name, `${reg.host}/library/busybox@${byTag.manifest.descriptor.digest}`);
  await expectCode(pullImageSource(`${reg.host}/library/busybox:nope`), "not-found");
  await expectCode(pullImageSource(`${reg.host}/library/busybox@sha256:${"0".repeat(64)}`), "not-found");
  await expectCode(pullImageSource(`${reg.host}/nobody/here`), "not-found");
  await expectCode(
    pullImageSource(`${reg.host}/library/busybox`).then((s) =>
      readBlob(s, { mediaType: MEDIA_TYPES.ociLayerGzip, digest: `sha256:${"1".repeat(64)}`, size: 3 }),
    ),
    "not-found",
  );
});

/** Pushes busybox for the host plus a second, different image for another platform, and an index of both. */
async function pushMultiPlatform(repo: string, indexMediaType: string): Promise<{ host: string; other: string }> {
  const host = await buildBusyboxImage();
  const otherArch = hostPlatform().architecture === "arm64" ? "amd64" : "arm64";
  const other = await buildLayerImage({
    name: "x",
    architecture: otherArch,
    entries: [{ type: "file", path: "marker", mode: 0o644, content: Buffer.from(otherArch) }],
    config: { Cmd: ["/marker"] },
  });
  for (const img of [host, other]) {
    await pushBlob(reg, repo, img.config.bytes);
    await pushBlob(reg, repo, img.layer.bytes);
    await pushManifest(reg, repo, img.manifest.descriptor.digest, MEDIA_TYPES.ociManifest, img.manifest.bytes);
  }
  const p = hostPlatform();
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: indexMediaType,
      manifests: [
        {
          ...other.manifest.descriptor,
          platform: { os: "linux", architecture: otherArch, ...(otherArch === "arm64" ? { variant: "v8" } : {}) },
        },
        { ...host.manifest.descriptor, platform: { os: "linux", architecture: p.architecture } },
      ],
    }),
  );
  await pushManifest(reg, repo, "multi", indexMediaType, index);
  return { host: host.manifest.descriptor.digest, other: other.manifest.descriptor.digest };
}

t("resolves a multi-platform index to the host's manifest, or to a requested platform", async () => {
  const digests = await pushMultiPlatform("tools/multi", MEDIA_TYPES.ociIndex);
  const src = await pullImageSource(`${reg.host}/tools/multi:multi`);
  assert.is(src.manifest.descriptor.digest, digests.host);
  assert.is(src.manifest.descriptor.platform?.architecture, hostPlatform().architecture);
  assert.is(src.target.mediaType, MEDIA_TYPES.ociIndex);
  assert.ok(src.indexBytes && sha(src.indexBytes) === src.target.digest, "target is the index, with its bytes");
  const otherArch = hostPlatform().architecture === "arm64" ? "amd64" : "arm64";
  const other = await pullImageSource(`${reg.host}/tools/multi:multi`, {
    platform: { os: "linux", architecture: otherArch, ...(otherArch === "arm64" ? { variant: "v8" } : {}) },
  });
  assert.is(other.manifest.descriptor.digest, digests.other);
  const manifest = JSON.parse(other.manifest.bytes.toString());
  assert.is((await readBlob(other, manifest.layers[0])).length, manifest.layers[0].size);
  const e = await expectCode(
    pullImageSource(`${reg.host}/tools/multi:multi`, { platform: { os: "linux", architecture: "s390x" } }),
    "not-found",
  );
  assert.match((e as { detail?: string }).detail ?? "", /linux\/arm64\/v8|linux\/amd64/);
});

t("resolves a Docker manifest list the same way", async () => {
  const digests = await pushMultiPlatform("tools/dockerlist", MEDIA_TYPES.dockerManifestList);
  const src = await pullImageSource(`${reg.host}/tools/dockerlist:multi`);
  assert.is(src.target.mediaType, MEDIA_TYPES.dockerManifestList);
  assert.is(src.manifest.descriptor.digest, digests.host);
});

t("a pulled image imports into containerd and runs", async () => {
  const ctd = await sharedContainerd();
  const ns = `pull-${process.pid}`;
  const ctr = ctrFor(ctd, ns);
  const client = new ContainerdClient(ctd.socketPath);
  const src = await pullImageSource(`${reg.host}/library/busybox`);
  const cleanup = async () => {
    await ctr("container", "rm", "pulled").catch(() => undefined);
    await ctr("image", "rm", "--sync", src.name).catch(() => undefined);
    await run("ctr", ["-a", ctd.socketPath, "namespace", "rm", ns]).catch(() => undefined);
  };
  onTeardown(`ctr namespace ${ns}`, cleanup);
  try {
    const result = await importImage(client, ns, src);
    assert.is(result.name, src.name);
    assert.is(result.digest, src.target.digest);
    const out = await ctr("run", "--rm", src.name, "pulled", "sh", "-c", "echo pulled-and-running");
    assert.is(out.stdout.trim(), "pulled-and-running");
  } finally {
    client.close();
    await cleanup();
  }
});

t.run();
