import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  buildPauseImage,
  type PauseArch,
  pauseElf,
  pauseImageSource,
  writeImageArchive,
} from "../../../src/executors/containerd/pause-image.js";
import { hostPlatform } from "../../../src/executors/oci/media-types.js";
import { isKukeError } from "../../../src/model/errors.js";
import { PAUSE_IMAGE } from "../../../src/model/normalize.js";
import { ctrFor, sharedContainerd } from "../../harness/containerd.js";
import { onTeardown } from "../../harness/teardown.js";

const run = promisify(execFile);
const t = suite("executors/containerd/pause-image");
const hostArch = hostPlatform().architecture as PauseArch;

let dir = "";
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kuke-pause-test-"));
  const d = dir;
  onTeardown("pause test dir", () => rm(d, { recursive: true, force: true }));
});
t.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MACHINES: Record<PauseArch, number> = { amd64: 62, arm64: 183 };

for (const arch of ["amd64", "arm64"] as const) {
  t(`ELF header and program header are well-formed (${arch})`, () => {
    const b = pauseElf(arch);
    assert.is(b.subarray(0, 4).toString("latin1"), "\x7fELF");
    assert.is(b[4], 2, "ELFCLASS64");
    assert.is(b[5], 1, "little endian");
    assert.is(b.readUInt16LE(16), 2, "ET_EXEC");
    assert.is(b.readUInt16LE(18), MACHINES[arch]);
    assert.is(b.readUInt16LE(52), 64, "e_ehsize");
    const phoff = Number(b.readBigUInt64LE(32));
    assert.is(b.readUInt16LE(54), 56, "e_phentsize");
    assert.is(b.readUInt16LE(56), 1, "e_phnum");
    assert.is(b.readUInt32LE(phoff), 1, "PT_LOAD");
    assert.is(b.readUInt32LE(phoff + 4), 5, "R+X");
    const vaddr = b.readBigUInt64LE(phoff + 16);
    assert.is(Number(b.readBigUInt64LE(phoff + 32)), b.length, "filesz covers the file");
    const entryOffset = Number(b.readBigUInt64LE(24) - vaddr);
    assert.ok(entryOffset >= 120 && entryOffset < b.length, "entry inside the segment, after the headers");
    const code = b.subarray(entryOffset);
    if (arch === "amd64") {
      assert.equal([...code.subarray(0, 7)], [0xb8, 34, 0, 0, 0, 0x0f, 0x05], "mov eax, 34; syscall");
    } else {
      assert.ok(code.includes(Buffer.from([0x01, 0x00, 0x00, 0xd4])), "svc #0");
      assert.ok(code.includes(Buffer.from([0x28, 0x09, 0x80, 0xd2])), "mov x8, #73 (ppoll)");
    }
  });
}

t("the host's pause program blocks until SIGKILL", async () => {
  const file = join(dir, "pause");
  await writeFile(file, pauseElf(hostArch));
  await chmod(file, 0o755);
  const child = spawn(file, [], { stdio: "ignore" });
  onTeardown("pause process", () => void child.kill("SIGKILL"));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r("running"), 500))]);
  assert.is(early, "running");
  child.kill("SIGKILL");
  assert.equal(await exited, { code: null, signal: "SIGKILL" });
});

t("the image is deterministic and its ImageSource serves verified blobs", async () => {
  const a = await buildPauseImage("amd64");
  const b = await buildPauseImage("amd64");
  assert.is(a.manifest.descriptor.digest, b.manifest.descriptor.digest);
  assert.is.not((await buildPauseImage("arm64")).manifest.descriptor.digest, a.manifest.descriptor.digest);
  const src = await pauseImageSource(hostArch);
  assert.is(src.name, PAUSE_IMAGE);
  assert.is(src.target.digest, src.manifest.descriptor.digest);
  const manifest = JSON.parse(src.manifest.bytes.toString());
  for (const d of [manifest.config, ...manifest.layers]) {
    const h = createHash("sha256");
    let size = 0;
    for await (const chunk of await src.openBlob(d)) {
      h.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    assert.is(`sha256:${h.digest("hex")}`, d.digest);
    assert.is(size, d.size);
  }
  const config = JSON.parse((await buildPauseImage(hostArch)).config.bytes.toString());
  assert.equal(config.config.Entrypoint, ["/pause"]);
  assert.is(config.architecture, hostArch);
  try {
    await src.openBlob({ mediaType: "x", digest: `sha256:${"0".repeat(64)}`, size: 1 });
    assert.unreachable("unknown blob must fail");
  } catch (e) {
    assert.ok(isKukeError(e, "not-found"));
  }
});

t("ctr imports the pause image; its task runs until SIGKILL", async () => {
  const ctd = await sharedContainerd();
  const ns = `pause-${process.pid}`;
  const ctr = ctrFor(ctd, ns);
  const cleanup = async () => {
    await ctr("task", "kill", "-s", "SIGKILL", "p").catch(() => undefined);
    await ctr("task", "rm", "-f", "p").catch(() => undefined);
    await ctr("container", "rm", "p").catch(() => undefined);
    await ctr("image", "rm", "--sync", PAUSE_IMAGE).catch(() => undefined);
    await run("ctr", ["-a", ctd.socketPath, "namespace", "rm", ns]).catch(() => undefined);
  };
  onTeardown(`ctr namespace ${ns}`, cleanup);
  try {
    const file = join(dir, "pause.tar");
    await writeImageArchive(await buildPauseImage(), file);
    await ctr("image", "import", file);
    await ctr("run", "-d", PAUSE_IMAGE, "p");
    await new Promise((r) => setTimeout(r, 1000));
    assert.match((await ctr("task", "ls")).stdout, /\bp\s+\d+\s+RUNNING/);
    await ctr("task", "kill", "-s", "SIGKILL", "p");
    const deadline = Date.now() + 10_000;
    let listing = "";
    while (Date.now() < deadline) {
      listing = (await ctr("task", "ls")).stdout;
      if (/\bp\s+\d+\s+STOPPED/.test(listing)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(listing, /\bp\s+\d+\s+STOPPED/);
  } finally {
    await cleanup();
  }
});

t.run();
