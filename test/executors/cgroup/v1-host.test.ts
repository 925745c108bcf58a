import { spawn } from "node:child_process";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { detectCgroupDriver } from "../../../src/executors/cgroup/detect.js";
import { CgroupV1Driver } from "../../../src/executors/cgroup/v1.js";
import { isKukeError } from "../../../src/model/errors.js";
import { leakCheck, runId } from "../../harness/netns.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/cgroup/v1 on this host");

// A top level of its own (not /kukeon) so the run leaves no trace in kuke's real tree.
const top = `/kuke-test-${runId()}`;
const leaf = `${top}/r/s/t/c/k`;

async function driver(): Promise<CgroupV1Driver> {
  const d = await detectCgroupDriver();
  assert.instance(d, CgroupV1Driver, "this development host is cgroup v1 hybrid");
  return d as CgroupV1Driver;
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

t("detects every v1 hierarchy and the unified mount of the hybrid host", async () => {
  const d = await driver();
  const mounts = d.hierarchies.map((h) => h.mountPoint);
  assert.ok(mounts.includes("/sys/fs/cgroup/memory"));
  assert.ok(mounts.includes("/sys/fs/cgroup/unified"));
  assert.ok(d.hierarchies.some((h) => h.controllers.includes("cpu")));
  assert.ok(d.hierarchies.some((h) => h.controllers.includes("pids")));
  assert.ok(d.hierarchies.some((h) => h.controllers.includes("name=systemd")));
});

t("ensure makes the tree in every hierarchy and writes limits that read back", async () => {
  const d = await driver();
  const limits = { memoryLimitBytes: 50_000_001, cpuShares: 512, pidsLimit: 64 };
  await d.ensure(leaf, limits);
  try {
    assert.ok(await d.exists(leaf));
    for (const h of d.hierarchies) assert.ok(await dirExists(join(h.mountPoint, leaf)), `${h.mountPoint}${leaf}`);
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
  for (const h of d.hierarchies) assert.not.ok(await dirExists(join(h.mountPoint, top)), `${h.mountPoint}${top}`);
});

t("remove is a typed busy error while a process is inside, and works after it exits", async () => {
  const d = await driver();
  await d.ensure(leaf, { memoryLimitBytes: 256 * 1024 * 1024 });
  const child = spawn("sleep", ["600"], { stdio: "ignore" });
  const exited = new Promise((r) => child.once("exit", r));
  onTeardown(`sleep ${child.pid}`, () => void child.kill("SIGKILL"));
  try {
    // cpuset was filled from the parent on ensure, or the kernel would refuse the task there.
    for (const h of d.hierarchies) await writeFile(join(h.mountPoint, leaf, "cgroup.procs"), String(child.pid));
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

t("remove is refused whole when a process sits in the tree of one hierarchy only", async () => {
  const d = await driver();
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
    for (const h of d.hierarchies) assert.ok(await dirExists(join(h.mountPoint, leaf)), `${h.mountPoint}${leaf} kept`);
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
  await d.remove(top);
  assert.equal(await leakCheck({ cgroups: { driver: d, paths: [top] } }), []);
});

t("the leak check sees a tree left in a single hierarchy", async () => {
  const d = await driver();
  const memory = d.hierarchies.find((h) => h.controllers.includes("memory"))!;
  await mkdir(join(memory.mountPoint, top));
  try {
    assert.not.ok(await d.exists(top), "a partial tree does not count as existing");
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
