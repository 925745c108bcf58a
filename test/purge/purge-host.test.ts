import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Host } from "../../src/engine/host.js";
import { detectCgroupDriver } from "../../src/executors/cgroup/detect.js";
import type { CgroupDriver } from "../../src/executors/cgroup/driver.js";
import { chainExists } from "../../src/executors/cni/egress.js";
import { NetworkExecutor } from "../../src/executors/cni/network-executor.js";
import { type ContainerdExecutor, createContainerdExecutor } from "../../src/executors/containerd/executor.js";
import {
  type CellAddress,
  cellAddress,
  cgroupPath,
  containerAddress,
  containerdId,
  containerLabels,
  defaultNamespace,
  egressChainName,
  formatAddress,
  masqueradeChainOfSpace,
  realmAddress,
} from "../../src/model/index.js";
import { discover } from "../../src/purge/discover.js";
import { purgeSteps } from "../../src/purge/steps.js";
import type { Discovery, DiscoverySource, PurgeReport } from "../../src/purge/types.js";
import { purgeReport } from "../../src/runner/imperative/purge.js";
import { openHost } from "../../src/runner/open-host.js";
import { withLock } from "../../src/runner/pipeline.js";
import { containerLogPath, runPathLayout } from "../../src/state/run-path.js";
import { BUSYBOX_IMAGE, busyboxSleep, importBusybox } from "../harness/busybox-image.js";
import { sharedContainerd } from "../harness/containerd.js";
import { leakCheck, runId } from "../harness/netns.js";
import { onTeardown } from "../harness/teardown.js";

const t = suite("purge/purge on this host");

const realm = `kp${runId()}`;
const space = "web";
const ns = defaultNamespace(realm);
// A pool of this run's own, so neither a real kuke nor another test run shares its routes.
const pool = `10.${150 + Math.floor(Math.random() * 100)}.0.0/16`;
const cellA = cellAddress(realm, space, "front", "a");
const cellB = cellAddress(realm, space, "back", "b");
const cells = [cellA, cellB];

let dir = "";
let ctd: ContainerdExecutor;
let net: NetworkExecutor;
let cgroups: CgroupDriver;
let deps: DiscoverySource;
let host: Host;

/** What `kuke purge` does with a discovery: its steps, run by the engine under the lock, reported. */
async function purge(found: Discovery): Promise<PurgeReport> {
  const steps = purgeSteps(found);
  const o = { runPath: host.runPath, runtimeDir: host.runtimeDir, containerdAddress: "", host };
  const run = await withLock(o, "purge test", (s) => s.run(steps, {}));
  return purgeReport(found, steps, run.result).report;
}

/** Independent of the code under test: the executors' own removal calls, each allowed to fail. */
async function cleanupAll(): Promise<void> {
  const quiet = (p: Promise<unknown>) => p.catch(() => undefined);
  for (const c of (await ctd.listContainers(ns).catch(() => [])) ?? []) {
    await quiet(ctd.deleteContainer(ns, c.id, { graceMs: 0 }));
  }
  for (const c of cells) {
    await quiet(net.detach(c));
    await quiet(net.unpin(c));
  }
  await quiet(net.removeSpaceNetwork(realm, space));
  await quiet(cgroups.remove(cgroupPath(realm)));
  await quiet(ctd.removeImage(ns, BUSYBOX_IMAGE));
  await quiet(ctd.deleteNamespace(ns));
  await rm(dir, { recursive: true, force: true });
}

/** What apply would make for a cell: its cgroup, a running root container in it, a pinned and attached netns. */
async function makeCell(cell: CellAddress, topChainId: string): Promise<void> {
  const a = containerAddress(cell.realm, cell.space, cell.stack, cell.cell, "root");
  await cgroups.ensure(cgroupPath(cell.realm, cell.space, cell.stack, cell.cell));
  const id = containerdId(a);
  await ctd.createContainer(
    ns,
    busyboxSleep({
      id,
      snapshotParent: topChainId,
      cgroupsPath: cgroupPath(cell.realm, cell.space, cell.stack, cell.cell, "root"),
      labels: containerLabels(a, "root", "hash"),
    }),
  );
  const { pid } = await ctd.startTask(ns, id, containerLogPath(runPathLayout(join(dir, "run")).logs, a));
  await net.pin(cell, pid);
  await net.attach(cell);
}

t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kuke-purge-"));
  const daemon = await sharedContainerd();
  ctd = createContainerdExecutor(daemon.socketPath, { runcRoot: daemon.runcRoot });
  net = new NetworkExecutor({ runPath: join(dir, "run"), runtimeDir: join(dir, "runtime"), subnetPool: pool });
  cgroups = await detectCgroupDriver();
  deps = { containerd: ctd, network: net, runPath: join(dir, "run"), runtimeDir: join(dir, "runtime") };
  host = await openHost({
    runPath: join(dir, "run"),
    runtimeDir: join(dir, "runtime"),
    containerdAddress: daemon.socketPath,
    runcRoot: daemon.runcRoot,
    subnetPool: pool,
    cgroups,
  });
  onTeardown(`purge test realm ${realm}`, cleanupAll);

  await ctd.ensureNamespace(ns);
  const image = await importBusybox(ctd, ns, dir);
  await net.ensureSpaceNetwork(realm, space);
  await net.applyEgress(realm, space, { default: "deny", allow: [] });
  for (const c of cells) await makeCell(c, image.topChainId);
});

t.after(async () => {
  await cleanupAll();
  ctd.close();
  host?.close();
});

t("purging a cell finds and removes its container, task, pin, attachment, cgroup, logs and secrets only", async () => {
  // Secret files as a container.create that failed after writing them would leave them.
  const secrets = (c: CellAddress) => join(dir, "runtime", "secrets", realm, space, c.stack, c.cell);
  for (const c of cells) {
    await mkdir(join(secrets(c), "root"), { recursive: true });
    await writeFile(join(secrets(c), "root", "token"), "x", { mode: 0o400 });
  }
  const found = await discover(cellA, deps);
  assert.equal(found.secrets, [secrets(cellA)]);
  assert.is(found.scope, formatAddress(cellA));
  assert.equal(
    found.containers.map((c) => [c.address, c.hasTask, c.status]),
    [[`container/${realm}/${space}/front/a/root`, true, "running"]],
  );
  assert.is(found.cells.length, 1);
  const cell = found.cells[0]!;
  assert.ok(cell.pin && cell.attached, JSON.stringify(cell));
  assert.equal(found.spaces, [], "a cell's purge leaves its space's network alone");
  assert.ok(found.cgroup.dirs.length > 0);
  assert.is(found.logs.length, 1);

  assert.equal(
    purgeSteps(found).map((s) => s.kind),
    ["container.delete", "cni.detach", "netns.unpin", "cgroup.remove", "files.remove", "files.remove"],
  );
  const report = await purge(found);
  assert.is(report.failed, 0, JSON.stringify(report.items));
  assert.equal(
    report.items.map((i) => i.kind),
    ["container", "cni-attachment", "netns-pin", "cgroup", "logs", "secrets"],
  );
  assert.not.ok(existsSync(secrets(cellA)));
  assert.ok(existsSync(secrets(cellB)), "the other cell's secrets stay");
  assert.ok(await chainExists("nat", masqueradeChainOfSpace(realm, space)), "the space's masquerade chain stays");
  assert.not.ok(existsSync(cell.pin!));
  assert.not.ok(await cgroups.exists(cgroupPath(realm, space, "front", "a")));
  assert.equal(
    (await ctd.listContainers(ns)).map((c) => [c.id, c.status]),
    [[containerdId(containerAddress(realm, space, "back", "b", "root")), "running"]],
    "the other cell still runs",
  );
  assert.ok(await net.isPinned(cellB));
});

t("purging the realm leaves nothing of it on the host, and a second purge finds nothing", async () => {
  const found = await discover(realmAddress(realm), deps);
  assert.is(found.containers.length, 1);
  assert.equal(
    found.cells.map((c) => c.address),
    [formatAddress(cellB)],
  );
  assert.is(found.spaces.length, 1);
  const s = found.spaces[0]!;
  assert.ok(s.bridge && s.conflist && s.subnet, JSON.stringify(s));
  assert.is(s.egressChain, egressChainName(realm, space));
  assert.is(s.masqueradeChain, masqueradeChainOfSpace(realm, space));
  assert.ok(s.ipamFiles.length > 0);

  const report = await purge(found);
  assert.is(report.failed, 0, JSON.stringify(report.items));
  assert.equal(report.items.at(-1), {
    kind: "namespace",
    name: ns,
    outcome: "kept",
    detail: `it holds 1 image (kuke image rm ${BUSYBOX_IMAGE} --realm ${realm})`,
  });
  const leaks = await leakCheck({
    network: { executor: net, realm, space, cells },
    cgroups: { driver: cgroups, paths: [cgroupPath(realm)] },
  });
  assert.equal(leaks, []);
  assert.not.ok(await chainExists("nat", masqueradeChainOfSpace(realm, space)));
  assert.equal(await ctd.listContainers(ns), []);
  assert.not.ok(existsSync(join(dir, "run", "logs", realm)));
  assert.not.ok(existsSync(join(dir, "runtime", "secrets", realm)));

  const again = await discover(realmAddress(realm), deps);
  assert.equal(
    [again.containers, again.cells, again.spaces, again.cgroup.dirs, again.logs, again.secrets],
    [[], [], [], [], [], []],
  );
  const second = await purge(again);
  assert.equal(
    second.items.map((i) => [i.kind, i.outcome]),
    [["namespace", "kept"]],
  );

  // With the images gone the namespace goes too.
  await ctd.removeImage(ns, BUSYBOX_IMAGE);
  const last = await purge(await discover(realmAddress(realm), deps));
  assert.equal(last.items.at(-1)?.outcome, "removed", JSON.stringify(last.items));
  // Now nothing of the realm is left: a purge finds nothing and counts nothing removed.
  const none = await purge(await discover(realmAddress(realm), deps));
  assert.equal([none.items, none.removed], [[], 0]);
});

t.run();
