/**
 * The subnet allocator against the real host (run under the test lock): a /24 that a host
 * interface's address or a route already uses is skipped, and two kuke run paths on one host never
 * hand out the same /24, because a space's bridge holds its gateway address from the moment the
 * subnet is allocated. The test's own link and bridges are removed in `finally` (and by
 * teardown). Pools 10.199.0.0/22 and 10.199.4.0/23 are used by no other test.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runCommand } from "../../../src/executors/cni/host-command.js";
import { HOST_SUBNET_DIR, SubnetAllocator } from "../../../src/executors/cni/subnet-allocator.js";
import { isKukeError } from "../../../src/model/index.js";
import { removeLink, runId } from "../../harness/netns.js";
import { onTeardown } from "../../harness/teardown.js";
import { tempNetwork } from "../../harness/temp-network.js";

const t = suite("executors/cni/subnet-host");

async function must(args: string[]): Promise<void> {
  const r = await runCommand("ip", args);
  if (r.code !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kt-subnet-host-"));
  onTeardown(`temp ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Two kuke run paths on this host drawing from one pool, each with a realm of its own and a space
 * "s"; `cleanup` removes both spaces' networks and bridges.
 */
async function twoRunPaths(pool: string) {
  const [realmA, realmB] = [`kta${runId()}`, `ktb${runId()}`];
  const a = await tempNetwork("kt-subnet-host", { realm: realmA, spaces: ["s"] }, { subnetPool: pool });
  const b = await tempNetwork("kt-subnet-host", { realm: realmB, spaces: ["s"] }, { subnetPool: pool });
  const cleanup = async () => {
    await a.cleanup();
    await b.cleanup();
  };
  return { a: a.net, b: b.net, realmA, realmB, cleanup };
}

t("a host address (even on a link that is down) and a route take their /24 out of the pool", async () => {
  const link = `kt-sub${runId()}`;
  onTeardown(`link ${link}`, () => removeLink(link));
  try {
    // A bridge without ports stands for any interface (this kernel has no dummy driver).
    await must(["link", "add", link, "type", "bridge"]);
    await must(["addr", "add", "10.199.0.1/24", "dev", link]);
    // Host-wide reservations in a dir of its own: this allocator is never released, only its dir removed.
    const a = new SubnetAllocator({ dir: await tempDir(), pool: "10.199.0.0/22", hostDir: await tempDir() });
    assert.is((await a.allocate("r", "one", "k-one")).subnet, "10.199.1.0/24", "the link is down: its address counts");
    await must(["link", "set", link, "up"]);
    await must(["route", "add", "10.199.2.0/25", "dev", link]);
    assert.is((await a.allocate("r", "two", "k-two")).subnet, "10.199.3.0/24");
    const c = await a.capacity();
    assert.equal(
      [c.free, c.allocated, c.hostOverlaps],
      [0, 2, [`10.199.0.0/24: address 10.199.0.1/24 on ${link}`, `10.199.2.0/24: route 10.199.2.0/25 dev ${link}`]],
    );
    try {
      await a.allocate("r", "three", "k-three");
      assert.unreachable("the pool is full");
    } catch (e) {
      assert.ok(isKukeError(e, "unavailable"), String(e));
      assert.match(
        e.message,
        "4 in the pool, 2 allocated to kuke spaces, 2 overlapping the host's addresses or routes",
      );
    }
  } finally {
    await removeLink(link);
  }
});

t("two run paths on one host get different /24s: the first space's bridge holds its subnet", async () => {
  const { a, b, realmA, realmB, cleanup } = await twoRunPaths("10.199.4.0/23");
  try {
    const first = await a.ensureSpaceNetwork(realmA, "s");
    assert.is(first.subnet, "10.199.4.0/24");
    const shown = await runCommand("ip", ["-4", "-o", "addr", "show", "dev", first.bridge]);
    assert.match(shown.stdout, "inet 10.199.4.1/24", "the bridge holds the gateway before any cell attaches");
    const second = await b.ensureSpaceNetwork(realmB, "s");
    assert.is(second.subnet, "10.199.5.0/24", "the other run path skips the subnet on the host");
    assert.is((await b.subnetCapacity()).free, 0);
    assert.equal(await a.ensureSpaceNetwork(realmA, "s"), first, "ensuring again changes nothing");
    await a.removeSpaceNetwork(realmA, "s");
    assert.is((await runCommand("ip", ["link", "show", "dev", first.bridge])).code !== 0, true, "bridge removed");
    assert.is((await b.subnetCapacity()).free, 1, "the freed /24 can be handed out again");
  } finally {
    await cleanup();
  }
});

t(
  "two run paths creating their first space at the same moment get different /24s (host-wide reservations)",
  async () => {
    const { a, b, realmA, realmB, cleanup } = await twoRunPaths("10.199.6.0/23");
    try {
      const [x, y] = await Promise.all([a.ensureSpaceNetwork(realmA, "s"), b.ensureSpaceNetwork(realmB, "s")]);
      assert.equal([x.subnet, y.subnet].sort(), ["10.199.6.0/24", "10.199.7.0/24"]);
    } finally {
      await cleanup();
    }
    // Destroyed: their reservations went with them.
    const left = await readdir(HOST_SUBNET_DIR).catch(() => []);
    assert.not.ok(
      left.some((n) => n.startsWith("10.199.6.0_24") || n.startsWith("10.199.7.0_24")),
      left.join(" "),
    );
  },
);

t.run();
