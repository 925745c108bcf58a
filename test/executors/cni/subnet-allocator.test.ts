import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { withFileLock } from "../../../src/executors/cni/file-lock.js";
import { type HostNetwork, hostNetworksFrom, overlaps } from "../../../src/executors/cni/host-networks.js";
import { SubnetAllocator } from "../../../src/executors/cni/subnet-allocator.js";
import { isKukeError } from "../../../src/model/errors.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/cni/subnet-allocator");
/**
 * A host with no networks of its own, so the unit tests do not depend on this machine, and host-wide
 * reservations in a directory of this suite's (never the host's /run/lock/kuke).
 */
const suiteHostDir = mkdtempSync(join(tmpdir(), "kt-subnets-host-"));
onTeardown(`temp ${suiteHostDir}`, () => rm(suiteHostDir, { recursive: true, force: true }));
const bare = { hostNetworks: async () => [], hostDir: suiteHostDir };

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kt-subnets-"));
  onTeardown(`temp ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

t("one /24 per space, idempotent, persisted 0600, reused after release", async () => {
  const dir = await tempDir();
  const a = new SubnetAllocator({ dir, ...bare });
  const s1 = await a.allocate("r", "s1", "k-1");
  const s2 = await a.allocate("r", "s2", "k-2");
  assert.equal(s1, { realm: "r", space: "s1", subnet: "10.88.0.0/24", gateway: "10.88.0.1", bridge: "k-1" });
  assert.is(s2.subnet, "10.88.1.0/24");
  assert.equal(
    await new SubnetAllocator({ dir, ...bare }).allocate("r", "s1", "k-1"),
    s1,
    "a second process sees the record",
  );
  assert.is((await stat(join(dir, "subnets.json"))).mode & 0o777, 0o600);
  await a.release("r", "s1");
  await a.release("r", "s1");
  assert.is(await a.get("r", "s1"), undefined);
  assert.is((await a.allocate("r", "s3", "k-3")).subnet, "10.88.0.0/24");
});

t("a bridge name collision is a typed error; a full pool is unavailable", async () => {
  const dir = await tempDir();
  const a = new SubnetAllocator({ dir, pool: "10.99.0.0/23", ...bare });
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
    await new SubnetAllocator({ dir, pool: "10.98.0.0/16", ...bare }).get("r", "one");
    assert.unreachable("a changed pool must be refused");
  } catch (e) {
    assert.ok(isKukeError(e, "failed-precondition"), String(e));
  }
});

t("subnets overlapping the host's networks are skipped; exhaustion counts them and says what to do", async () => {
  const dir = await tempDir();
  const host: HostNetwork[] = [
    { cidr: "10.77.0.0/24", what: "address 10.77.0.1/24 on eth9" },
    { cidr: "10.77.2.128/25", what: "route 10.77.2.128/25 dev tun0" },
    { cidr: "10.0.0.0/8", what: "route 10.0.0.0/8 dev vpn0" },
  ];
  // The /8 route covers everything: without catch-all filtering the pool would be empty.
  const a = new SubnetAllocator({
    dir,
    pool: "10.77.0.0/22",
    hostNetworks: async () => host.slice(0, 2),
    hostDir: dir,
  });
  assert.is((await a.allocate("r", "one", "k-1")).subnet, "10.77.1.0/24");
  assert.is((await a.allocate("r", "two", "k-2")).subnet, "10.77.3.0/24");
  assert.equal(await a.capacity(), {
    pool: "10.77.0.0/22",
    size: 4,
    allocated: 2,
    hostOverlaps: ["10.77.0.0/24: address 10.77.0.1/24 on eth9", "10.77.2.0/24: route 10.77.2.128/25 dev tun0"],
    free: 0,
  });
  try {
    await a.allocate("r", "three", "k-3");
    assert.unreachable("should throw");
  } catch (e) {
    assert.ok(isKukeError(e, "unavailable"), String(e));
    assert.is(
      e.message,
      "subnet pool 10.77.0.0/22 has no free /24: 4 in the pool, 2 allocated to kuke spaces, 2 overlapping the host's addresses or routes",
    );
    assert.match(e.detail ?? "", "10.77.0.0/24: address 10.77.0.1/24 on eth9");
    assert.match(e.remedy ?? "", "kuke destroy");
  }
  const wide = new SubnetAllocator({
    dir: await tempDir(),
    pool: "10.77.0.0/22",
    hostNetworks: async () => host,
    hostDir: dir,
  });
  assert.is((await wide.capacity()).free, 0, "a /8 route the pool sits in is a conflict");
});

t("the host's networks are read from ip -j output: addresses with prefixes, routes but defaults and catch-alls", () => {
  const nets = hostNetworksFrom(
    [
      { ifname: "lo", addr_info: [{ family: "inet", local: "127.0.0.1", prefixlen: 8 }] },
      { ifname: "dummy0", addr_info: [{ family: "inet", local: "10.88.0.7", prefixlen: 24 }, { family: "inet6" }] },
    ],
    [
      { dst: "default", dev: "eth0" },
      { dst: "0.0.0.0/1", dev: "tun0" },
      { dst: "192.0.2.0/24", dev: "eth0" },
      { dst: "10.88.0.0/24", dev: "dummy0" },
      { type: "local", dst: "10.88.0.7", dev: "dummy0", table: "local" },
    ],
  );
  assert.equal(nets, [
    { cidr: "127.0.0.0/8", what: "address 127.0.0.1/8 on lo" },
    { cidr: "10.88.0.0/24", what: "address 10.88.0.7/24 on dummy0" },
    { cidr: "192.0.2.0/24", what: "route 192.0.2.0/24 dev eth0" },
    { cidr: "10.88.0.7/32", what: "route 10.88.0.7 dev dummy0 (table local)" },
  ]);
  assert.ok(overlaps("10.88.0.0/16", "10.88.3.0/24") && overlaps("10.88.3.9/32", "10.88.3.0/24"));
  assert.not.ok(overlaps("10.88.4.0/24", "10.88.3.0/24"));
});

t("concurrent kuke processes never hand out the same subnet", async () => {
  const dir = await tempDir();
  const modUrl = pathToFileURL(join(import.meta.dirname, "../../../src/executors/cni/subnet-allocator.js")).href;
  const script = `const {SubnetAllocator}=await import(${JSON.stringify(modUrl)});
const a=new SubnetAllocator({dir:${JSON.stringify(dir)},hostDir:${JSON.stringify(join(dir, "host"))}});const id=process.argv[1];
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

/** Runs `script` in `n` node processes at once (argv[1] is the process's index); their stdout, as JSON. */
async function processes<T>(n: number, script: string): Promise<T[]> {
  const runs = Array.from({ length: n }, (_, id) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, String(id)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    return new Promise<T>((resolve, reject) =>
      child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`exit ${code}`)))),
    );
  });
  return Promise.all(runs);
}

t("run paths allocating at once never pick the same /24: host-wide reservations under a host-wide lock", async () => {
  const base = await tempDir();
  const hostDir = join(base, "host");
  const modUrl = pathToFileURL(join(import.meta.dirname, "../../../src/executors/cni/subnet-allocator.js")).href;
  // Each process is its own run path, as two kuke installations on one host; the host's real
  // networks are read (the pool is one no test uses). Without reservations each would start at .0.
  const script = `const {SubnetAllocator}=await import(${JSON.stringify(modUrl)});
const id=process.argv[1];
const a=new SubnetAllocator({dir:${JSON.stringify(base)}+"/run"+id,pool:"10.197.0.0/20",hostDir:${JSON.stringify(hostDir)}});
const out=[];for(let i=0;i<3;i++){out.push((await a.allocate("r"+id,"s"+i,"k-"+id+"-"+i)).subnet)}
console.log(JSON.stringify(out))`;
  const all = (await processes<string[]>(4, script)).flat();
  assert.is(all.length, 12);
  assert.is(new Set(all).size, 12, `every subnet distinct: ${all.join(" ")}`);

  // Each run path sees the others' reservations when it counts what is left.
  const a = new SubnetAllocator({
    dir: join(base, "run0"),
    pool: "10.197.0.0/20",
    hostDir,
    hostNetworks: async () => [],
  });
  const c = await a.capacity();
  assert.equal([c.allocated, c.hostOverlaps.length, c.free], [3, 9, 4]);
  assert.match(
    c.hostOverlaps.join("\n"),
    `reserved by the kuke run path of ${join(base, "run1", "subnets.json")} for space r1/s0`,
  );

  // Released: the reservation goes with the record, and the /24 is free for the others again.
  const b = new SubnetAllocator({
    dir: join(base, "run1"),
    pool: "10.197.0.0/20",
    hostDir,
    hostNetworks: async () => [],
  });
  const freed = (await b.get("r1", "s0"))?.subnet;
  await b.release("r1", "s0");
  assert.not.ok(existsSync(join(hostDir, `${freed?.replace("/", "_")}.json`)));
  assert.is((await a.capacity()).free, 5);
});

t("a reservation its owner no longer lists (run path removed, crash before recording) is taken over", async () => {
  const base = await tempDir();
  const hostDir = join(base, "host");
  const opts = { pool: "10.196.0.0/23", hostDir, hostNetworks: async () => [] };
  const gone = new SubnetAllocator({ dir: join(base, "gone"), ...opts });
  assert.is((await gone.allocate("r", "s", "k-1")).subnet, "10.196.0.0/24");
  const other = new SubnetAllocator({ dir: join(base, "other"), ...opts });
  assert.is((await other.capacity()).free, 1, "live: the owner lists it");
  await rm(join(base, "gone"), { recursive: true, force: true });
  assert.is((await other.capacity()).free, 2, "stale once its owner's record is gone");
  assert.is((await other.allocate("r", "t", "k-2")).subnet, "10.196.0.0/24");
  const held = JSON.parse(await readFile(join(hostDir, "10.196.0.0_24.json"), "utf8"));
  assert.is(held.owner, join(base, "other", "subnets.json"));
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

t(
  "an empty lock file (its writer killed between create and write) is waited for while fresh, taken over once old",
  async () => {
    const dir = await tempDir();
    const lock = join(dir, "x.lock");
    await writeFile(lock, "");
    try {
      await withFileLock(lock, async () => "ran", { timeoutMs: 100 });
      assert.unreachable("a fresh empty lock file may be a writer still writing it");
    } catch (e) {
      assert.ok(isKukeError(e, "lock-held"), String(e));
      assert.match((e as Error).message, "another kuke holds the subnet pool's lock");
    }
    // The SIGKILLed writer's file, as a later kuke finds it: a minute old.
    const past = new Date(Date.now() - 60_000);
    await utimes(lock, past, past);
    assert.is(await withFileLock(lock, async () => "ran", { timeoutMs: 500 }), "ran");
    assert.not.ok(existsSync(lock), "released");
  },
);

t.run();
