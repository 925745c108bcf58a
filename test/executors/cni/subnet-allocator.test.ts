import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { withFileLock } from "../../../src/executors/cni/file-lock.js";
import { SubnetAllocator } from "../../../src/executors/cni/subnet-allocator.js";
import { isKukeError } from "../../../src/model/errors.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/cni/subnet-allocator");

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kt-subnets-"));
  onTeardown(`temp ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

t("one /24 per space, idempotent, persisted 0600, reused after release", async () => {
  const dir = await tempDir();
  const a = new SubnetAllocator({ dir });
  const s1 = await a.allocate("r", "s1", "k-1");
  const s2 = await a.allocate("r", "s2", "k-2");
  assert.equal(s1, { realm: "r", space: "s1", subnet: "10.88.0.0/24", gateway: "10.88.0.1", bridge: "k-1" });
  assert.is(s2.subnet, "10.88.1.0/24");
  assert.equal(await new SubnetAllocator({ dir }).allocate("r", "s1", "k-1"), s1, "a second process sees the record");
  assert.is((await stat(join(dir, "subnets.json"))).mode & 0o777, 0o600);
  await a.release("r", "s1");
  await a.release("r", "s1");
  assert.is(await a.get("r", "s1"), undefined);
  assert.is((await a.allocate("r", "s3", "k-3")).subnet, "10.88.0.0/24");
});

t("a bridge name collision is a typed error; a full pool is unavailable", async () => {
  const dir = await tempDir();
  const a = new SubnetAllocator({ dir, pool: "10.99.0.0/23" });
  await a.allocate("r", "one", "k-same");
  try {
    await a.allocate("r", "two", "k-same");
    assert.unreachable("should throw");
  } catch (e) {
    assert.ok(isKukeError(e, "already-exists"), String(e));
  }
  await a.allocate("r", "two", "k-2");
  try {
    await a.allocate("r", "three", "k-3");
    assert.unreachable("should throw");
  } catch (e) {
    assert.ok(isKukeError(e, "unavailable"), String(e));
  }
  try {
    await new SubnetAllocator({ dir, pool: "10.98.0.0/16" }).get("r", "one");
    assert.unreachable("a changed pool must be refused");
  } catch (e) {
    assert.ok(isKukeError(e, "failed-precondition"), String(e));
  }
});

t("concurrent kuke processes never hand out the same subnet", async () => {
  const dir = await tempDir();
  const modUrl = pathToFileURL(join(import.meta.dirname, "../../../src/executors/cni/subnet-allocator.js")).href;
  const script = `const {SubnetAllocator}=await import(${JSON.stringify(modUrl)});
const a=new SubnetAllocator({dir:${JSON.stringify(dir)}});const id=process.argv[1];
const out=[];for(let i=0;i<5;i++){out.push((await a.allocate("r","p"+id+"-"+i,"k-"+id+"-"+i)).subnet)}
console.log(JSON.stringify(out))`;
  const runs = Array.from({ length: 6 }, (_, id) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, String(id)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    return new Promise<string[]>((resolve, reject) =>
      child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`)))),
    );
  });
  const all = (await Promise.all(runs)).flat();
  assert.is(all.length, 30);
  assert.is(new Set(all).size, 30, "every subnet distinct");
  const file = JSON.parse(await readFile(join(dir, "subnets.json"), "utf8"));
  assert.is(file.spaces.length, 30);
});

t("a stale lock (dead owner) is taken over; a live one times out as lock-held", async () => {
  const dir = await tempDir();
  const lock = join(dir, "x.lock");
  const dead = spawn("true");
  await new Promise((r) => dead.once("exit", r));
  await writeFile(lock, `${dead.pid}\n`);
  assert.is(await withFileLock(lock, async () => "ran", { timeoutMs: 500 }), "ran");
  await writeFile(lock, `${process.pid}\n`);
  try {
    await withFileLock(lock, async () => "ran", { timeoutMs: 100 });
    assert.unreachable("should time out");
  } catch (e) {
    assert.ok(isKukeError(e, "lock-held"), String(e));
  }
  await rm(lock);
});

t.run();
