import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { openImageArchive } from "../../../src/executors/containerd/archive-source.js";
import { removeEmptyCgroups } from "../../../src/executors/containerd/cgroup-cleanup.js";
import { ContainerdClient } from "../../../src/executors/containerd/client.js";
import { writeBlob } from "../../../src/executors/containerd/content.js";
import { createContainerdExecutor } from "../../../src/executors/containerd/executor.js";
import { isKukeError } from "../../../src/model/errors.js";
import { BUSYBOX_IMAGE, buildBusyboxArchive, busyboxSleep } from "../../harness/busybox-image.js";
import { startContainerd } from "../../harness/containerd.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/containerd/harness-containerd");

function processesMentioning(text: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, "utf8").includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

t("stop() removes a daemon with a running container: process, shim, mounts and directory", async () => {
  const ctd = await startContainerd();
  onTeardown("harness stop test", () => ctd.stop());
  const cgroup = `/kuke-test-harness-${process.pid}/c`;
  onTeardown("harness stop test cgroup", () => removeEmptyCgroups(cgroup));
  let workloadPid = 0;
  try {
    assert.match(ctd.dir, /^\/tmp\/kuke-ctd-/);
    assert.match(ctd.address, /^unix:\/\/\/tmp\/kuke-ctd-.*\/containerd\.sock$/);
    const exec = createContainerdExecutor(ctd.address, { runcRoot: ctd.runcRoot });
    try {
      const source = await openImageArchive(await buildBusyboxArchive(ctd.dir));
      try {
        await exec.importImage("t", source);
      } finally {
        await source.close();
      }
      const image = await exec.resolveImage("t", BUSYBOX_IMAGE);
      await exec.createContainer("t", busyboxSleep({ id: "c", snapshotParent: image.topChainId, cgroupsPath: cgroup }));
      workloadPid = (await exec.startTask("t", "c", join(ctd.dir, "c.log"))).pid;

      // A blob whose bytes do not match its digest is refused and reported as a KukeError.
      const client = new ContainerdClient(ctd.address);
      try {
        const wrong = await writeBlob(
          client,
          { namespace: "t" },
          { mediaType: "application/octet-stream", digest: `sha256:${"0".repeat(64)}`, size: 5 },
          Buffer.from("hello"),
        ).catch((e: unknown) => e);
        assert.ok(isKukeError(wrong), String(wrong));
        assert.is.not((wrong as { code: string }).code, "already-exists");
      } finally {
        client.close();
      }
    } finally {
      exec.close();
    }
    assert.ok(processesMentioning(ctd.dir).length >= 2, "daemon and shim run");
  } finally {
    await ctd.stop();
  }
  assert.equal(processesMentioning(ctd.dir), []);
  assert.not.ok(
    existsSync(`/proc/${workloadPid}/cmdline`) &&
      readFileSync(`/proc/${workloadPid}/cmdline`, "utf8").includes("sleep"),
  );
  assert.not.ok(existsSync(ctd.dir));
  assert.not.ok(readFileSync("/proc/self/mountinfo", "utf8").includes(ctd.dir));
  await removeEmptyCgroups(cgroup);
});

t("a daemon that cannot start fails with its log tail", async () => {
  const prev = process.env.PATH;
  // No containerd on PATH: spawn fails, the error must say so instead of hanging.
  process.env.PATH = "/nonexistent";
  try {
    const e = await startContainerd({ readyTimeoutMs: 2000 }).catch((x: unknown) => x);
    assert.instance(e, Error);
  } finally {
    process.env.PATH = prev;
  }
});

t.run();
