import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { imageList, imageLoad, imageRemove } from "../../../src/executors/containerd/image-commands.js";
import {
  cgroupLayout,
  initReport,
  managedPaths,
  resolveContainerdAddress,
  startManagedContainerd,
  stopManagedContainerd,
} from "../../../src/executors/containerd/managed.js";
import { isKukeError } from "../../../src/model/errors.js";
import { BUSYBOX_IMAGE, buildBusyboxArchive } from "../../harness/busybox-image.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/containerd/managed");

t("cgroup layout is read from the mount table", () => {
  const v1 = "30 25 0:26 / /sys/fs/cgroup/memory rw,relatime shared:10 - cgroup cgroup rw,memory";
  const v2 = "31 25 0:27 / /sys/fs/cgroup/unified rw,relatime shared:11 - cgroup2 cgroup2 rw";
  const pure = "31 25 0:27 / /sys/fs/cgroup rw,relatime shared:11 - cgroup2 cgroup2 rw";
  assert.equal(cgroupLayout(`${v1}\n${v2}\n`), { layout: "hybrid", unifiedMount: "/sys/fs/cgroup/unified" });
  assert.equal(cgroupLayout(`${pure}\n`), { layout: "v2", unifiedMount: "/sys/fs/cgroup" });
  assert.equal(cgroupLayout(`${v1}\n`), { layout: "v1" });
  assert.is(cgroupLayout().layout === "none", false, "this host has cgroups");
});

t("managed containerd: start, report, reuse, image load/ls/rm through it, stop", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kuke-managed-"));
  // The socket path must stay short (sun_path is 108 bytes); mkdtemp under /tmp keeps it so.
  const paths = { runPath: join(dir, "var"), runtimeDir: join(dir, "run") };
  const nowhere = join(dir, "no-containerd.sock");
  const cleanup = async () => {
    await stopManagedContainerd(paths);
    await rm(dir, { recursive: true, force: true });
  };
  onTeardown("managed containerd test", cleanup);
  try {
    const before = await initReport({ ...paths, address: nowhere });
    assert.is(before.configured.reachable, false);
    assert.is(before.configured.problem?.code, "unavailable");
    assert.is(before.effectiveAddress, undefined);
    const unresolved = await resolveContainerdAddress({ ...paths, address: nowhere }).catch((e: unknown) => e);
    assert.ok(isKukeError(unresolved, "unavailable"), String(unresolved));
    assert.match((unresolved as { remedy: string }).remedy, /--managed-containerd/);

    const m = await startManagedContainerd(paths);
    const p = managedPaths(paths);
    assert.ok(m.started);
    assert.is(m.address, p.socket);
    assert.match(m.version, /^\d+\.\d+/);
    assert.is(Number(readFileSync(p.pidFile, "utf8")), m.pid);
    assert.ok(existsSync(p.config) && existsSync(p.root));

    const again = await startManagedContainerd(paths);
    assert.is(again.started, false);
    assert.is(again.pid, m.pid);

    const report = await initReport({ ...paths, address: nowhere });
    assert.is(report.managed?.reachable, true);
    assert.is(report.effectiveAddress, p.socket);
    assert.ok(["v1", "v2", "hybrid"].includes(report.cgroups.layout));
    const resolved = await resolveContainerdAddress({ ...paths, address: nowhere });
    assert.equal(resolved, { address: p.socket, managed: true, runcRoot: p.runcRoot });

    const target = { address: p.socket, namespace: "default.kukeon.io" };
    assert.equal(await imageList(target), []);
    const loaded = await imageLoad(target, await buildBusyboxArchive(dir, { format: "docker" }));
    assert.is(loaded.name, BUSYBOX_IMAGE);
    assert.equal(
      (await imageList(target)).map((i) => i.name),
      [BUSYBOX_IMAGE],
    );
    await imageRemove(target, "busybox");
    assert.equal(await imageList(target), []);
    const missing = await imageRemove(target, "busybox").catch((e: unknown) => e);
    assert.ok(isKukeError(missing, "not-found"));

    await stopManagedContainerd(paths);
    assert.not.ok(
      existsSync(`/proc/${m.pid}/cmdline`) && readFileSync(`/proc/${m.pid}/cmdline`, "utf8").includes("containerd"),
    );
    assert.not.ok(existsSync(p.pidFile));
  } finally {
    await cleanup();
  }
});

t.run();
