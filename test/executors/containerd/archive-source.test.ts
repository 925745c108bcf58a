import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { pack } from "tar-stream";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { openImageArchive } from "../../../src/executors/containerd/archive-source.js";
import { expectCode } from "../../harness/assert-kuke.js";
import { onTeardown } from "../../harness/teardown.js";

/** Archives whose content does not match what they declare (no daemon needed: nothing is imported). */
const t = suite("executors/containerd/archive-source (corrupt archives)");
const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

let dir = "";
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kt-archive-"));
  const d = dir;
  onTeardown("archive test dir", () => rm(d, { recursive: true, force: true }));
});

/** An OCI layout tar of a one-layer image; `blobs` overrides the content stored for a digest. */
async function archive(name: string, tamper: (d: { manifest: string; layer: string }) => Map<string, Buffer>) {
  const layer = Buffer.from("a layer");
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { diff_ids: [] } }));
  const layerDesc = { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha(layer), size: layer.length };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
      layers: [layerDesc],
    }),
  );
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: sha(manifest),
        size: manifest.length,
        annotations: { "io.containerd.image.name": "example.test/corrupt:1" },
      },
    ],
  };
  const blobs = new Map<string, Buffer>([
    [sha(manifest), manifest],
    [sha(config), config],
    [sha(layer), layer],
  ]);
  for (const [d, b] of tamper({ manifest: sha(manifest), layer: sha(layer) })) blobs.set(d, b);
  const p = pack();
  p.entry({ name: "oci-layout" }, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  p.entry({ name: "index.json" }, JSON.stringify(index));
  for (const [d, b] of blobs) p.entry({ name: `blobs/${d.replace(":", "/")}` }, b);
  p.finalize();
  const file = join(dir, name);
  await pipeline(p, createWriteStream(file));
  return { file, layerDesc };
}

t("a blob whose content is not what its digest says is refused when opened", async () => {
  for (const content of ["a layer, changed", "a lAyer"]) {
    const { file, layerDesc } = await archive(
      `layer-${content.length}.tar`,
      (d) => new Map([[d.layer, Buffer.from(content)]]),
    );
    const source = await openImageArchive(file);
    try {
      const e = await expectCode(source.openBlob(layerDesc), "invalid-spec");
      assert.match(e.detail ?? "", new RegExp(`blob ${layerDesc.digest} has digest sha256:`), content);
    } finally {
      await source.close?.();
    }
  }
});

t("a manifest whose content is not what its digest says is refused", async () => {
  const { file } = await archive("manifest.tar", (d) => new Map([[d.manifest, Buffer.from("{}")]]));
  const e = await expectCode(openImageArchive(file), "invalid-spec");
  assert.match(e.detail ?? "", /manifest sha256:[a-f0-9]{64} is corrupt/);
});

t.run();
