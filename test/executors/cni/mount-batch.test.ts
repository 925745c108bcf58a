/** The batcher behind pins and unpins: a lone request runs at once, a burst goes into one run, errors stay per item. */
import { closeSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { anonymousFile, Batcher, fstabField } from "../../../src/executors/cni/mount-batch.js";

const t = suite("executors/cni/mount-batch");

/** A batch runner that records its batches and finishes each when the test says so. */
function recorder() {
  const batches: string[][] = [];
  const finish: (() => void)[] = [];
  const b = new Batcher<string>(async (items) => {
    batches.push(items);
    await new Promise<void>((r) => finish.push(r));
    return items.map((i) => (i.startsWith("bad") ? new Error(`no ${i}`) : undefined));
  });
  return { b, batches, finish };
}

const tick = () => new Promise((r) => setImmediate(r));

t("the first request runs alone at once; those made while it runs go together into the next batch", async () => {
  const { b, batches, finish } = recorder();
  const first = b.run("a");
  await tick();
  assert.equal(batches, [["a"]]);
  const rest = ["b", "c", "d"].map((i) => b.run(i));
  await tick();
  assert.equal(batches, [["a"]], "nothing else starts while a batch runs");
  finish[0]?.();
  await first;
  await tick();
  assert.equal(batches, [["a"], ["b", "c", "d"]]);
  finish[1]?.();
  await Promise.all(rest);
  // Idle again: the next request runs at once.
  const last = b.run("e");
  await tick();
  assert.equal(batches.at(-1), ["e"]);
  finish[2]?.();
  await last;
});

t("an item's error rejects only that item; a batch that throws rejects all of its items", async () => {
  const { b, finish } = recorder();
  const blocker = b.run("x");
  const good = b.run("ok");
  const bad = b.run("bad1");
  finish[0]?.();
  await blocker;
  await tick();
  finish[1]?.();
  await good;
  await bad.then(
    () => assert.unreachable("bad1 should fail"),
    (e: Error) => assert.is(e.message, "no bad1"),
  );

  const failing = new Batcher<string>(async () => {
    throw new Error("cannot run");
  });
  const results = await Promise.allSettled([failing.run("p"), failing.run("q")]);
  assert.equal(
    results.map((r) => r.status),
    ["rejected", "rejected"],
  );
  // A failed batch does not wedge the batcher.
  await failing.run("r").catch((e: Error) => assert.is(e.message, "cannot run"));
});

t("fstabField escapes whitespace and backslashes as fstab(5) octal escapes", () => {
  assert.is(fstabField("/run/kuke/netns/r_s_t_c"), "/run/kuke/netns/r_s_t_c");
  assert.is(fstabField("/tmp/a b\tc\\d\ne"), "/tmp/a\\040b\\011c\\134d\\012e");
});

t("the batch's fstab is a file with no name: readable through its descriptor, nothing in the directory", () => {
  const dir = mkdtempSync(join(tmpdir(), "kuke-anon-"));
  try {
    const fd = anonymousFile(dir, "/a /b none bind 0 0\n");
    try {
      assert.equal(readdirSync(dir), []);
      assert.is(readFileSync(`/proc/self/fd/${fd}`, "utf8"), "/a /b none bind 0 0\n");
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
