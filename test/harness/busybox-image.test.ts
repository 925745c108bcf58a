import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { extract } from "tar-stream";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BUSYBOX_IMAGE, buildBusyboxArchive, buildBusyboxImage } from "./busybox-image.js";
import { ctrFor, sharedContainerd } from "./containerd.js";
import { onTeardown } from "./teardown.js";

const run = promisify(execFile);
const t = suite("harness/busybox-image");

let dir = "";
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kuke-busybox-test-"));
  const d = dir;
  onTeardown("busybox test dir", () => rm(d, { recursive: true, force: true }));
});
t.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface TarEntry {
  name: string;
  type: string;
  mode: number;
  linkname: string | null;
  mtime: number;
  data: Buffer;
}

async function readTar(bytes: Buffer): Promise<Map<string, TarEntry>> {
  const out = new Map<string, TarEntry>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on("entry", (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        out.set(h.name.replace(/\/$/, ""), {
          name: h.name,
          type: h.type ?? "file",
          mode: h.mode ?? 0,
          linkname: h.linkname ?? null,
          mtime: h.mtime?.getTime() ?? -1,
          data: Buffer.concat(chunks),
        });
        next();
      });
    });
    ex.on("finish", resolve);
    ex.on("error", reject);
  });
  ex.end(bytes);
  await done;
  return out;
}

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

t("the layer holds busybox, applet links, /etc accounts and the usual directories", async () => {
  const img = await buildBusyboxImage();
  const entries = await readTar(gunzipSync(img.layer.bytes));
  const bb = entries.get("bin/busybox")!;
  assert.is(bb.mode & 0o7777, 0o755);
  assert.ok(bb.data.equals(await readFile("/bin/busybox")));
  for (const applet of ["sh", "ls", "cat", "echo", "sleep", "httpd", "wget", "nc", "ip", "hostname", "wc"]) {
    const e = entries.get(`bin/${applet}`);
    assert.is(e?.type, "symlink", applet);
    assert.is(e?.linkname, "busybox");
  }
  assert.is(entries.get("tmp")?.type, "directory");
  assert.is(entries.get("tmp")!.mode & 0o7777, 0o1777);
  for (const d of ["etc", "proc", "sys", "dev", "var/www"]) assert.is(entries.get(d)?.type, "directory", d);
  assert.match(entries.get("etc/passwd")!.data.toString(), /^root:x:0:0:/m);
  assert.match(entries.get("etc/passwd")!.data.toString(), /^nobody:x:65534:65534:/m);
  assert.match(entries.get("etc/group")!.data.toString(), /^nogroup:x:65534:/m);
  assert.ok([...entries.values()].every((e) => e.mtime === 0));
});

t("config: env, cmd, platform and diff_ids of the uncompressed layer", async () => {
  const img = await buildBusyboxImage();
  const config = JSON.parse(img.config.bytes.toString());
  assert.equal(config.config.Env, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
  assert.equal(config.config.Cmd, ["sh"]);
  assert.is(config.os, "linux");
  assert.is(config.architecture, process.arch === "x64" ? "amd64" : process.arch);
  assert.equal(config.rootfs.diff_ids, [sha(gunzipSync(img.layer.bytes))]);
  const manifest = JSON.parse(img.manifest.bytes.toString());
  assert.is(manifest.layers[0].digest, sha(img.layer.bytes));
  assert.is(manifest.config.digest, sha(img.config.bytes));
});

t("archives are deterministic", async () => {
  const a = await readFile(await buildBusyboxArchive(dir));
  const b = await readFile(await buildBusyboxArchive(dir));
  assert.ok(a.equals(b));
});

t("the OCI archive names the image the way containerd and OCI tools read it", async () => {
  const file = await buildBusyboxArchive(dir, { name: "127.0.0.1:5000/tools/bb:v1" });
  const entries = await readTar(await readFile(file));
  assert.equal(JSON.parse(entries.get("oci-layout")!.data.toString()), { imageLayoutVersion: "1.0.0" });
  const index = JSON.parse(entries.get("index.json")!.data.toString());
  assert.equal(index.manifests[0].annotations, {
    "io.containerd.image.name": "127.0.0.1:5000/tools/bb:v1",
    "org.opencontainers.image.ref.name": "v1",
  });
  for (const [name, e] of entries) {
    if (name.startsWith("blobs/sha256/") && e.type === "file") assert.is(sha(e.data), `sha256:${name.slice(13)}`);
  }
});

t("skopeo reads both archive formats", async () => {
  const layer = (await buildBusyboxImage()).layer.descriptor.digest;
  const oci = JSON.parse((await run("skopeo", ["inspect", `oci-archive:${await buildBusyboxArchive(dir)}`])).stdout);
  assert.is(oci.Os, "linux");
  assert.equal(oci.Layers, [layer]);
  assert.equal(oci.Env, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
  const dockerFile = await buildBusyboxArchive(dir, { format: "docker" });
  const docker = JSON.parse((await run("skopeo", ["inspect", `docker-archive:${dockerFile}`])).stdout);
  assert.is(docker.Os, "linux");
  assert.is(docker.Layers.length, 1);
  const entries = await readTar(await readFile(dockerFile));
  assert.equal(JSON.parse(entries.get("manifest.json")!.data.toString())[0].RepoTags, ["busybox:latest"]);
});

for (const format of ["oci", "docker"] as const) {
  t(`ctr imports the ${format} archive and runs busybox from it`, async () => {
    const ctd = await sharedContainerd();
    const ns = `bb-${format}-${process.pid}`;
    const ctr = ctrFor(ctd, ns);
    const cleanup = async () => {
      await ctr("task", "rm", "-f", "bb").catch(() => undefined);
      await ctr("container", "rm", "bb").catch(() => undefined);
      await ctr("image", "rm", "--sync", BUSYBOX_IMAGE).catch(() => undefined);
      await run("ctr", ["-a", ctd.socketPath, "namespace", "rm", ns]).catch(() => undefined);
    };
    onTeardown(`ctr namespace ${ns}`, cleanup);
    try {
      await ctr("image", "import", await buildBusyboxArchive(dir, { format }));
      const ls = await ctr("image", "ls", "-q");
      assert.ok(ls.stdout.split("\n").includes(BUSYBOX_IMAGE), ls.stdout);
      const out = await ctr(
        "run",
        "--rm",
        BUSYBOX_IMAGE,
        "bb",
        "sh",
        "-c",
        'echo "hello $(id -u)"; ls -ld /tmp; grep -c nobody /etc/passwd; echo $PATH',
      );
      const lines = out.stdout.trim().split("\n");
      assert.is(lines[0], "hello 0");
      assert.match(lines[1]!, /^drwxrwxrwt/);
      assert.is(lines[2], "1");
      assert.is(lines[3], "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    } finally {
      await cleanup();
    }
  });
}

t.run();
