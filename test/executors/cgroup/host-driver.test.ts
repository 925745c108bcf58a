/**
 * The cgroup driver kuke picks on this host, against the real cgroup file systems: the layout is
 * read from the mount table (v2, hybrid or v1) and the driver must match it; then its operations
 * run on whatever the host has (every v1 hierarchy on a v1/hybrid host, the one tree on v2). The
 * v2 driver's hierarchy operations on a hybrid host's unified mount: v2-unified-host.test.ts.
 */
import { spawn } from "node:child_process";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { detectCgroupDriver } from "../../../src/executors/cgroup/detect.js";
import type { CgroupDriver } from "../../../src/executors/cgroup/driver.js";
import { CgroupV1Driver } from "../../../src/executors/cgroup/v1.js";
import { CgroupV2Driver } from "../../../src/executors/cgroup/v2.js";
import { cgroupLayout } from "../../../src/executors/containerd/managed.js";
import { isKukeError } from "../../../src/model/errors.js";
import { leakCheck, runId } from "../../harness/netns.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/cgroup/driver on this host");

// A top level of its own (not /kukeon) so the run leaves no trace in kuke's real tree.
const top = `/kuke-test-${runId()}`;
const leaf = `${top}/r/s/t/c/k`;

/** The host's layout, from the mount table (not from the driver under test). */
const host = cgroupLayout();

async function driver(): Promise<CgroupDriver> {
  return detectCgroupDriver();
}

/** Where the driver keeps `path`: every hierarchy on v1/hybrid, the one tree on v2. */
function dirsOf(d: CgroupDriver, path: string): string[] {
  if (d instanceof CgroupV1Driver) return d.hierarchies.map((h) => join(h.mountPoint, path));
  return [join((d as CgroupV2Driver).root, path)];
}

async function dirExists(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

t.before(async () => {
  const d = await driver();
  onTeardown(`cgroup ${top}`, () => d.remove(top));
});

t("the driver matches the host's layout: v2 at the unified root, else every hierarchy of the mount table", async () => {
  const d = await driver();
  assert.ok(host.layout !== "none", "this host mounts cgroups");
  if (host.layout === "v2") {
    assert.instance(d, CgroupV2Driver);
    assert.is(d.version, "v2");
    assert.is((d as CgroupV2Driver).root, host.unifiedMount);
    return;
  }
  assert.instance(d, CgroupV1Driver);
  assert.is(d.version, "v1");
  const v1 = d as CgroupV1Driver;
  const mounts = v1.hierarchies.map((h) => h.mountPoint);
  // A hybrid host's unified mount is one of the hierarchies kuke keeps its tree in.
  if (host.layout === "hybrid") assert.ok(mounts.includes(host.unifiedMount!), mounts.join(" "));
  for (const c of ["memory", "cpu", "pids"]) {
    assert.ok(
      v1.hierarchies.some((h) => h.controllers.includes(c)),
      `the ${c} hierarchy (kuke sets its limits there)`,
    );
  }
});

t("ensure makes the tree in every hierarchy and writes limits that read back", async () => {
  const d = await driver();
  const limits = { memoryLimitBytes: 50_000_001, cpuShares: 512, pidsLimit: 64 };
  await d.ensure(leaf, limits);
  try {
    assert.ok(await d.exists(leaf));
    assert.equal([...(await d.existing([leaf, `${leaf}-not`]))], [leaf]);
    for (const dir of dirsOf(d, leaf)) assert.ok(await dirExists(dir), dir);
    assert.equal(await d.readLimits(leaf), d.effective(limits));
    assert.is((await d.readLimits(leaf)).memoryLimitBytes, 49_999_872);
    await d.setLimits(leaf, { pidsLimit: 10 });
    assert.equal(await d.readLimits(leaf), { pidsLimit: 10 });
    await d.ensure(leaf);
    assert.equal(await d.readLimits(leaf), { pidsLimit: 10 }, "a second ensure keeps limits");
  } finally {
    await d.remove(top);
  }
  assert.not.ok(await d.exists(top));
  for (const dir of dirsOf(d, top)) assert.not.ok(await dirExists(dir), dir);
});

t("remove is a typed busy error while a process is inside, and works after it exits", async () => {
  const d = await driver();
  await d.ensure(leaf, { memoryLimitBytes: 256 * 1024 * 1024 });
  const child = spawn("sleep", ["600"], { stdio: "ignore" });
  const exited = new Promise((r) => child.once("exit", r));
  onTeardown(`sleep ${child.pid}`, () => void child.kill("SIGKILL"));
  try {
    // On v1 cpuset was filled from the parent on ensure, or the kernel would refuse the task there.
    for (const dir of dirsOf(d, leaf)) await writeFile(join(dir, "cgroup.procs"), String(child.pid));
    assert.equal(await d.pids(top), [child.pid]);
    try {
      await d.remove(top);
      assert.unreachable("should be busy");
    } catch (e) {
      assert.ok(isKukeError(e, "busy"), String(e));
    }
    assert.ok(await d.exists(leaf), "nothing was removed");
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
  await d.remove(top);
  assert.not.ok(await d.exists(top));
  await d.remove(top);
  assert.equal(await leakCheck({ cgroups: { driver: d, paths: [top] } }), []);
});

t("remove is refused whole when a process sits in the tree of one hierarchy only (v1 and hybrid hosts)", async () => {
  const d = await driver();
  // On v2 there is one tree: the busy test above is the whole story there.
  if (!(d instanceof CgroupV1Driver)) return assert.is(host.layout, "v2");
  await d.ensure(leaf);
  const pids = d.hierarchies.find((h) => h.controllers.includes("pids"));
  assert.ok(pids, "this host mounts the pids hierarchy");
  const child = spawn("sleep", ["600"], { stdio: "ignore" });
  const exited = new Promise((r) => child.once("exit", r));
  onTeardown(`sleep ${child.pid}`, () => void child.kill("SIGKILL"));
  try {
    await writeFile(join(pids.mountPoint, leaf, "cgroup.procs"), String(child.pid));
    try {
      await d.remove(top);
      assert.unreachable("should be busy");
    } catch (e) {
      assert.ok(isKukeError(e, "busy"), String(e));
    }
    for (const dir of dirsOf(d, leaf)) assert.ok(await dirExists(dir), `${dir} kept`);
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
  await d.remove(top);
  assert.equal(await leakCheck({ cgroups: { driver: d, paths: [top] } }), []);
});

t("the leak check sees a tree left in a single hierarchy (v1 and hybrid hosts)", async () => {
  const d = await driver();
  if (!(d instanceof CgroupV1Driver)) return assert.is(host.layout, "v2");
  const memory = d.hierarchies.find((h) => h.controllers.includes("memory"))!;
  await mkdir(join(memory.mountPoint, top));
  try {
    assert.not.ok(await d.exists(top), "a partial tree does not count as existing");
    assert.equal([...(await d.existing([top, "/"]))], ["/"], "nor in the bulk check");
    assert.equal(await leakCheck({ cgroups: { driver: d, paths: [top] } }), [`cgroup: ${memory.mountPoint}${top}`]);
  } finally {
    await d.remove(top);
  }
  assert.equal(await leakCheck({ cgroups: { driver: d, paths: [top] } }), []);
});

t("setLimits on a missing path is not-found", async () => {
  const d = await driver();
  try {
    await d.setLimits(`${top}/missing`, { pidsLimit: 1 });
    assert.unreachable("should throw");
  } catch (e) {
    assert.ok(isKukeError(e, "not-found"), String(e));
  }
});

t.run();
