import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { detectCgroupDriver, parseCgroupMounts } from "../../../src/executors/cgroup/detect.js";
import { sharesToWeight, weightToShares } from "../../../src/executors/cgroup/driver.js";
import { CgroupV2Driver } from "../../../src/executors/cgroup/v2.js";
import { isKukeError } from "../../../src/model/errors.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/cgroup/v2 on a fake cgroup2 root");

/** Like the kernel: rmdir of a cgroup drops its interface files but refuses while child cgroups exist. */
async function cgroupRmdir(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  if (entries.some((e) => e.isDirectory())) throw Object.assign(new Error("EBUSY"), { code: "EBUSY" });
  for (const e of entries) await unlink(join(dir, e.name));
  await rmdir(dir);
}

async function fakeRoot(controllers: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "kt-cg2-"));
  onTeardown(`fake cgroup root ${root}`, () => rm(root, { recursive: true, force: true }));
  await writeFile(join(root, "cgroup.controllers"), controllers);
  await writeFile(join(root, "cgroup.subtree_control"), "");
  return root;
}

const read = async (p: string) => (await readFile(p, "utf8")).trim();
const PATH = "/kukeon/r/s/t/c/k";

t("ensure creates the path, enables controllers in every ancestor and writes limits", async () => {
  const root = await fakeRoot("cpuset cpu io memory hugetlb pids rdma misc\n");
  const driver = new CgroupV2Driver({ root, removeDir: cgroupRmdir });
  await driver.ensure(PATH, { memoryLimitBytes: 64 * 1024 * 1024, cpuShares: 512, pidsLimit: 100 });
  assert.ok(await driver.exists(PATH));
  const asked = [PATH, "/kukeon/r/s/t/c", "/kukeon/r/s/t/c/other", "/kukeon/r/x/t", "/kukeon", "/"];
  assert.equal(
    [...(await driver.existing(asked))].sort(),
    ["/", "/kukeon", "/kukeon/r/s/t/c", PATH],
    "existing(): each path as exists() decides; interface files are not cgroups",
  );
  assert.equal([...(await driver.existing(["/kukeon/r/s/t/c/k/memory.max"]))], []);
  let dir = root;
  for (const seg of ["kukeon", "r", "s", "t", "c"]) {
    assert.is(await read(join(dir, "cgroup.subtree_control")), "+cpu +memory +pids", `subtree_control above ${seg}`);
    dir = join(dir, seg);
  }
  assert.is(await read(join(dir, "cgroup.subtree_control")), "+cpu +memory +pids", "the cell level delegates");
  assert.not.ok(await stat(join(dir, "k", "cgroup.subtree_control")).catch(() => false), "the leaf delegates nothing");
  assert.is(await read(join(dir, "k", "memory.max")), "67108864");
  assert.is(await read(join(dir, "k", "cpu.weight")), String(sharesToWeight(512)));
  assert.is(await read(join(dir, "k", "pids.max")), "100");
});

t("readLimits returns what effective() predicts; unset limits reset to unlimited", async () => {
  const root = await fakeRoot("cpu memory pids");
  const driver = new CgroupV2Driver({ root, removeDir: cgroupRmdir });
  const limits = { memoryLimitBytes: 10_000_001, cpuShares: 1024, pidsLimit: 7 };
  await driver.ensure(PATH, limits);
  // the fake does not round like the kernel, so write what the kernel would keep
  await writeFile(join(root, "kukeon/r/s/t/c/k/memory.max"), String(driver.effective(limits).memoryLimitBytes));
  assert.equal(await driver.readLimits(PATH), driver.effective(limits));
  assert.is(driver.effective(limits).memoryLimitBytes, 9_998_336);
  await driver.setLimits(PATH, {});
  assert.is(await read(join(root, "kukeon/r/s/t/c/k/memory.max")), "max");
  assert.is(await read(join(root, "kukeon/r/s/t/c/k/cpu.weight")), "100");
  assert.equal(await driver.readLimits(PATH), {});
});

t("only controllers the root offers are enabled", async () => {
  const root = await fakeRoot("memory pids io");
  const driver = new CgroupV2Driver({ root, removeDir: cgroupRmdir });
  await driver.ensure("/kukeon/r", { cpuShares: 4096, pidsLimit: 5 });
  assert.is(await read(join(root, "cgroup.subtree_control")), "+memory +pids");
  assert.not.ok(await stat(join(root, "kukeon/r/cpu.weight")).catch(() => false));
  assert.equal(await driver.readLimits("/kukeon/r"), { pidsLimit: 5 });
});

t("missing paths: setLimits/readLimits are not-found, remove succeeds, pids is empty", async () => {
  const root = await fakeRoot("cpu memory pids");
  const driver = new CgroupV2Driver({ root, removeDir: cgroupRmdir });
  for (const op of [() => driver.setLimits("/kukeon/x", {}), () => driver.readLimits("/kukeon/x")]) {
    try {
      await op();
      assert.unreachable("should throw");
    } catch (e) {
      assert.ok(isKukeError(e, "not-found"), String(e));
    }
  }
  await driver.remove("/kukeon/x");
  assert.equal(await driver.pids("/kukeon/x"), []);
  assert.not.ok(await driver.exists("/kukeon/x"));
});

t("remove refuses while processes are inside (nothing removed), then removes bottom-up", async () => {
  const root = await fakeRoot("cpu memory pids");
  const driver = new CgroupV2Driver({ root, removeDir: cgroupRmdir });
  await driver.ensure(PATH, { pidsLimit: 3 });
  await driver.ensure("/kukeon/r/s/t/c/other");
  await writeFile(join(root, "kukeon/r/s/t/c/k/cgroup.procs"), "123\n456\n");
  assert.equal((await driver.pids("/kukeon/r")).sort(), [123, 456]);
  try {
    await driver.remove("/kukeon/r");
    assert.unreachable("should be busy");
  } catch (e) {
    assert.ok(isKukeError(e, "busy"), String(e));
  }
  assert.ok(await driver.exists(PATH));
  await writeFile(join(root, "kukeon/r/s/t/c/k/cgroup.procs"), "");
  await driver.remove("/kukeon/r");
  assert.not.ok(await driver.exists("/kukeon/r"));
  assert.ok(await driver.exists("/kukeon"));
});

t("paths cannot escape the root: every operation refuses . and .. before touching anything", async () => {
  // The root sits one level down in its own temp dir, so an escape would land in `outside/`.
  const base = await mkdtemp(join(tmpdir(), "kt-cg2-escape-"));
  onTeardown(`cgroup escape test dir ${base}`, () => rm(base, { recursive: true, force: true }));
  const root = join(base, "root");
  await mkdir(root);
  await writeFile(join(root, "cgroup.controllers"), "cpu memory pids");
  await writeFile(join(root, "cgroup.subtree_control"), "");
  await mkdir(join(base, "outside"));
  await writeFile(join(base, "outside", "cgroup.procs"), "");
  const driver = new CgroupV2Driver({ root, removeDir: cgroupRmdir });
  const ops: Array<[string, (p: string) => Promise<unknown>]> = [
    ["ensure", (p) => driver.ensure(p, { pidsLimit: 1 })],
    ["setLimits", (p) => driver.setLimits(p, { pidsLimit: 1 })],
    ["readLimits", (p) => driver.readLimits(p)],
    ["remove", (p) => driver.remove(p)],
    ["exists", (p) => driver.exists(p)],
    ["pids", (p) => driver.pids(p)],
  ];
  for (const path of ["/kukeon/../../outside", "/../outside", "/kukeon/./../../outside/x"]) {
    for (const [name, op] of ops) {
      let error: unknown;
      try {
        await op(path);
      } catch (e) {
        error = e;
      }
      // Checked outside the try, so uvu's own assertion error cannot pass for the guard's.
      assert.instance(error, Error, `${name}(${path}) must be refused`);
      assert.match((error as Error).message, /cgroup path escapes its root/, `${name}(${path}): ${String(error)}`);
    }
  }
  assert.equal((await readdir(base)).sort(), ["outside", "root"], "nothing made beside the root");
  assert.equal(await readdir(join(base, "outside")), ["cgroup.procs"], "nothing made or removed outside");
  assert.equal((await readdir(root)).sort(), ["cgroup.controllers", "cgroup.subtree_control"]);
});

t("shares → weight follows runc's formula and weightToShares inverts it", () => {
  assert.is(sharesToWeight(2), 1);
  assert.is(sharesToWeight(1024), 39);
  assert.is(sharesToWeight(262144), 10000);
  for (let w = 1; w <= 10000; w++) assert.is(sharesToWeight(weightToShares(w)), w);
});

t("detection: cgroup.controllers at the root means v2, else the v1 mounts from mountinfo", async () => {
  const root = await fakeRoot("cpu memory pids");
  assert.is((await detectCgroupDriver({ cgroupRoot: root })).version, "v2");
  const empty = join(root, "v1");
  await mkdir(empty);
  const info = join(root, "mountinfo");
  await writeFile(
    info,
    [
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct",
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
      "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd",
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
      "50 31 0:39 /nested /mnt/x rw - cgroup cgroup rw,pids",
    ].join("\n"),
  );
  const driver = await detectCgroupDriver({ cgroupRoot: empty, mountInfo: info });
  assert.is(driver.version, "v1");
  // The plan's preflight: pids is only mounted below a nested root here, so kuke cannot use it.
  assert.equal(await driver.controllers(), ["cpu", "memory"]);
  assert.equal(parseCgroupMounts(await readFile(info, "utf8")), [
    { mountPoint: "/sys/fs/cgroup/cpu,cpuacct", controllers: ["cpu", "cpuacct"] },
    { mountPoint: "/sys/fs/cgroup/memory", controllers: ["memory"] },
    { mountPoint: "/sys/fs/cgroup/systemd", controllers: ["name=systemd"] },
    { mountPoint: "/sys/fs/cgroup/unified", controllers: [] },
  ]);
});

t("controllers(): the limit controllers the v2 root offers, for the plan's preflight", async () => {
  const all = await detectCgroupDriver({ cgroupRoot: await fakeRoot("cpuset cpu io memory hugetlb pids\n") });
  assert.equal(await all.controllers(), ["cpu", "memory", "pids"]);
  const noPids = await detectCgroupDriver({ cgroupRoot: await fakeRoot("cpuset cpu io memory\n") });
  assert.equal(await noPids.controllers(), ["cpu", "memory"]);
});

t.run();
