/**
 * The cgroup v2 driver's hierarchy operations for real, on the host's unified mount: the root of
 * a v2 host, `/sys/fs/cgroup/unified` on a hybrid one (as these machines are). Create a tree,
 * place a process through `cgroup.procs`, read it back, refuse removal while it is inside (and
 * the kernel's own EBUSY is classified `busy`), then remove once it moved out or was killed.
 * Limits are tested as far as the mount offers controllers: a hybrid host's unified mount offers
 * none, so there the driver must write none and read none. Everything lives under a subtree of its
 * own, removed after each test and by teardown.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { cgroupError } from "../../../src/executors/cgroup/errno.js";
import { CgroupV2Driver, listSubtree, readProcs } from "../../../src/executors/cgroup/v2.js";
import { cgroupLayout } from "../../../src/executors/containerd/managed.js";
import { errnoOf } from "../../../src/fs/fs-errors.js";
import { isKukeError } from "../../../src/model/errors.js";
import { runId } from "../../harness/netns.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/cgroup/v2 on the host's unified mount");

const host = cgroupLayout();
const root = host.unifiedMount ?? "";
const top = `/kuke-test-v2-${runId()}`;
const leaf = `${top}/r/s/t/c/k`;

/** Moves every process of the subtree back to the mount's root cgroup, then removes it deepest first. */
async function scrub(): Promise<void> {
  const dirs = await listSubtree(join(root, top));
  for (const d of dirs) {
    for (const pid of await readProcs(d))
      await writeFile(join(root, "cgroup.procs"), String(pid)).catch(() => undefined);
  }
  for (const d of dirs) await rmdir(d).catch(() => undefined);
}

function sleeper() {
  const child = spawn("sleep", ["600"], { stdio: "ignore" });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  onTeardown(`sleep ${child.pid}`, () => void child.kill("SIGKILL"));
  return { pid: child.pid as number, kill: () => child.kill("SIGKILL"), exited };
}

/** The process's cgroup in the unified hierarchy (the `0::` line of /proc/PID/cgroup). */
async function unifiedCgroupOf(pid: number): Promise<string | undefined> {
  const lines = (await readFile(`/proc/${pid}/cgroup`, "utf8")).split("\n");
  return lines.find((l) => l.startsWith("0::"))?.slice(3);
}

t.before(() => {
  onTeardown(`cgroup v2 ${top}`, scrub);
});
t.after.each(scrub);

t("the host has a unified (cgroup2) mount: the root on v2, below it on hybrid", () => {
  assert.ok(host.layout === "v2" || host.layout === "hybrid", `layout ${host.layout}`);
  assert.ok(existsSync(join(root, "cgroup.procs")), `${root} is a cgroup2 mount`);
  if (host.layout === "hybrid") assert.is.not(root, "/sys/fs/cgroup");
});

t("ensure creates the tree as kernel cgroups, idempotently; exists and pids read it", async () => {
  const d = new CgroupV2Driver({ root });
  await d.ensure(leaf);
  await d.ensure(leaf);
  let p = "";
  for (const segment of leaf.split("/").filter(Boolean)) {
    p = `${p}/${segment}`;
    // Files the kernel makes in every cgroup: the directory is a cgroup, not a plain folder.
    assert.ok(existsSync(join(root, p, "cgroup.procs")) && existsSync(join(root, p, "cgroup.type")), p);
  }
  assert.ok(await d.exists(leaf));
  assert.not.ok(await d.exists(`${top}/missing`));
  assert.equal(await d.pids(top), []);
  await d.remove(top);
  assert.not.ok(await d.exists(top));
  assert.not.ok(existsSync(join(root, top)));
  await d.remove(top);
});

t(
  "a process placed through cgroup.procs is read back; remove is busy while it is inside, then works once it moved out",
  async () => {
    const d = new CgroupV2Driver({ root });
    await d.ensure(leaf);
    const child = sleeper();
    try {
      await writeFile(join(root, leaf, "cgroup.procs"), String(child.pid));
      assert.is(await unifiedCgroupOf(child.pid), leaf, "the kernel put it there");
      assert.equal(await d.pids(top), [child.pid]);
      assert.equal(await d.pids(leaf), [child.pid]);
      const busy = await d.remove(top).catch((e: unknown) => e);
      assert.ok(isKukeError(busy, "busy"), String(busy));
      assert.match(busy.detail ?? "", String(child.pid));
      assert.ok(await d.exists(leaf), "nothing was removed");
      // The kernel itself refuses: rmdir of a populated cgroup is EBUSY, which the driver classifies as busy.
      const raw = await rmdir(join(root, leaf)).catch((e: unknown) => e);
      assert.is(errnoOf(raw), "EBUSY");
      assert.ok(isKukeError(cgroupError(raw, `remove ${leaf}`), "busy"));

      await writeFile(join(root, "cgroup.procs"), String(child.pid));
      assert.is(await unifiedCgroupOf(child.pid), "/");
      assert.equal(await d.pids(top), []);
      await d.remove(top);
      assert.not.ok(await d.exists(top));
    } finally {
      child.kill();
      await child.exited;
    }
  },
);

t("a killed process leaves its cgroup: the tree is removable once it exited", async () => {
  const d = new CgroupV2Driver({ root });
  await d.ensure(leaf);
  const child = sleeper();
  try {
    await writeFile(join(root, leaf, "cgroup.procs"), String(child.pid));
    assert.ok(isKukeError(await d.remove(top).catch((e: unknown) => e), "busy"));
  } finally {
    child.kill();
    await child.exited;
  }
  assert.equal(await d.pids(top), []);
  await d.remove(top);
  assert.not.ok(existsSync(join(root, top)));
});

t("limits: as far as the mount offers controllers (none on a hybrid host's unified mount)", async () => {
  const d = new CgroupV2Driver({ root });
  const offered = (await readFile(join(root, "cgroup.controllers"), "utf8")).split(/\s+/).filter(Boolean);
  const subtreeBefore = await readFile(join(root, "cgroup.subtree_control"), "utf8");
  const limits = { memoryLimitBytes: 50_000_001, cpuShares: 512, pidsLimit: 64 };
  await d.ensure(leaf, limits);
  const usable = ["cpu", "memory", "pids"].filter((c) => offered.includes(c));
  if (usable.length === 0) {
    // Nothing to delegate: the driver enabled nothing and wrote no limit file (none exists to write).
    assert.is(await readFile(join(root, "cgroup.subtree_control"), "utf8"), subtreeBefore);
    assert.not.ok(existsSync(join(root, leaf, "memory.max")));
    assert.equal(await d.readLimits(leaf), {});
    await d.setLimits(leaf, { pidsLimit: 10 });
    assert.equal(await d.readLimits(leaf), {});
  } else {
    const expected = d.effective(limits);
    const read = await d.readLimits(leaf);
    if (usable.includes("memory")) assert.is(read.memoryLimitBytes, expected.memoryLimitBytes);
    if (usable.includes("cpu")) assert.is(read.cpuShares, expected.cpuShares);
    if (usable.includes("pids")) assert.is(read.pidsLimit, expected.pidsLimit);
  }
  const missing = await d.setLimits(`${top}/missing`, limits).catch((e: unknown) => e);
  assert.ok(isKukeError(missing, "not-found"), String(missing));
});

t.run();
