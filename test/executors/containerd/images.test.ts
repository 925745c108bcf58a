import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { openImageArchive } from "../../../src/executors/containerd/archive-source.js";
import { ContainerdClient } from "../../../src/executors/containerd/client.js";
import { chainIds } from "../../../src/executors/containerd/image-config.js";
import { qualifyImageName } from "../../../src/executors/containerd/image-name.js";
import { listImages, loadImageArchive, removeImage, resolveImage } from "../../../src/executors/containerd/images.js";
import { importImage } from "../../../src/executors/containerd/importer.js";
import { listSnapshots } from "../../../src/executors/containerd/snapshots.js";
import { isKukeError } from "../../../src/model/errors.js";
import { BUSYBOX_IMAGE, buildBusyboxArchive } from "../../harness/busybox-image.js";
import { sharedContainerd } from "../../harness/containerd.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/containerd/images");

t("short names are qualified like docker does", () => {
  assert.is(qualifyImageName("busybox"), "docker.io/library/busybox:latest");
  assert.is(qualifyImageName("busybox:1.36"), "docker.io/library/busybox:1.36");
  assert.is(qualifyImageName("me/app"), "docker.io/me/app:latest");
  assert.is(qualifyImageName("127.0.0.1:5000/app"), "127.0.0.1:5000/app:latest");
  assert.is(qualifyImageName("localhost/app:v1"), "localhost/app:v1");
});

t("chain ids follow the image spec", () => {
  const a = `sha256:${"a".repeat(64)}`;
  const b = `sha256:${"b".repeat(64)}`;
  const [c0, c1] = chainIds([a, b]);
  assert.is(c0, a);
  // sha256("sha256:aaa… sha256:bbb…"), computed independently with sha256sum
  assert.is(c1, "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c");
});

for (const format of ["oci", "docker"] as const) {
  t(`loads the busybox ${format} archive: image record, committed snapshots, resolvable config`, async () => {
    const ctd = await sharedContainerd();
    const client = new ContainerdClient(ctd.address);
    const ns = `kuke-test-img-${format}-${process.pid}`;
    const dir = await mkdtemp(join(tmpdir(), "kuke-img-test-"));
    const cleanup = async () => {
      await removeImage(client, ns, BUSYBOX_IMAGE).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    };
    onTeardown(`images test ${format}`, cleanup);
    try {
      const file = await buildBusyboxArchive(dir, { format });
      const source = await openImageArchive(file);
      assert.is(source.name, BUSYBOX_IMAGE);
      await source.close();

      const first = await loadImageArchive(client, ns, file);
      assert.is(first.name, BUSYBOX_IMAGE);
      assert.ok(first.blobsWritten >= 3, `wrote ${first.blobsWritten} blobs`);
      assert.is(first.layersUnpacked, 1);

      const images = await listImages(client, ns);
      assert.equal(
        images.map((i) => i.name),
        [BUSYBOX_IMAGE],
      );
      assert.is(images[0]!.digest, first.digest);

      const snaps = await listSnapshots(client, { namespace: ns });
      const top = snaps.find((s) => s.name === first.topChainId);
      assert.ok(top, `snapshot ${first.topChainId} among ${snaps.map((s) => s.name).join(", ")}`);
      assert.is(top.kind, "COMMITTED");

      const resolved = await resolveImage(client, ns, BUSYBOX_IMAGE);
      assert.is(resolved.topChainId, first.topChainId);
      assert.equal(resolved.process.cmd, ["sh"]);
      assert.ok(resolved.process.env.some((e) => e.startsWith("PATH=")));

      // Loading again changes nothing: blobs and layers are already there.
      const again = await loadImageArchive(client, ns, file);
      assert.is(again.blobsWritten, 0);
      assert.is(again.layersUnpacked, 0);
      assert.is(again.digest, first.digest);

      await removeImage(client, ns, BUSYBOX_IMAGE);
      assert.equal(await listImages(client, ns), []);
      const gone = await removeImage(client, ns, BUSYBOX_IMAGE).catch((e: unknown) => e);
      assert.ok(isKukeError(gone, "not-found"));
      const unresolvable = await resolveImage(client, ns, BUSYBOX_IMAGE).catch((e: unknown) => e);
      assert.ok(isKukeError(unresolvable, "not-found"));
    } finally {
      await cleanup();
      client.close();
    }
  });
}

t("large entries are spooled to disk and still import (every entry spooled)", async () => {
  const ctd = await sharedContainerd();
  const client = new ContainerdClient(ctd.address);
  const ns = `kuke-test-img-spool-${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), "kuke-img-test-"));
  const cleanup = async () => {
    await removeImage(client, ns, "example.test/spooled:1").catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  onTeardown("images test spool", cleanup);
  try {
    const file = await buildBusyboxArchive(dir, { format: "docker" });
    const source = await openImageArchive(file, { name: "example.test/spooled:1", inMemoryMaxBytes: 0 });
    try {
      const result = await importImage(client, ns, source);
      assert.is(result.name, "example.test/spooled:1");
      assert.is(result.layersUnpacked, 1);
    } finally {
      await source.close();
    }
    const resolved = await resolveImage(client, ns, "example.test/spooled:1");
    assert.equal(resolved.process.cmd, ["sh"]);
  } finally {
    await cleanup();
    client.close();
  }
});

t("an archive that is not an image is refused as invalid", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kuke-img-test-"));
  try {
    const bad = join(dir, "bad.tar");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(bad, "not a tar at all".repeat(100));
    const e = await openImageArchive(bad).catch((x: unknown) => x);
    assert.ok(isKukeError(e, "invalid-spec"), String(e));
    const missing = await openImageArchive(join(dir, "none.tar")).catch((x: unknown) => x);
    assert.ok(isKukeError(missing, "not-found"), String(missing));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

t.run();
