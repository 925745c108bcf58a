/**
 * Host preflight at plan, on the real host (harness containerd, temporary run path) with the
 * facts faked where a test cannot change the host: a CNI plugin directory without `portmap`, and
 * a cgroup v2 root whose `cgroup.controllers` lacks `pids`. Plan reports each with its remedy,
 * apply stops with the plan's errors, and nothing is made: no containerd namespace or container,
 * no record, no network, no cgroup.
 */
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Host } from "../../src/engine/index.js";
import { CgroupV2Driver } from "../../src/executors/cgroup/v2.js";
import { NetworkExecutor } from "../../src/executors/cni/index.js";
import { PluginRunner } from "../../src/executors/cni/plugin-exec.js";
import { loadManifests } from "../../src/manifest/index.js";
import { cellAddress } from "../../src/model/index.js";
import { openHost } from "../../src/runner/open-host.js";
import { applyPlan } from "../../src/runner/operations/apply.js";
import { planManifests } from "../../src/runner/operations/plan.js";
import { sharedContainerd, type TestContainerd } from "../harness/containerd.js";
import { freeLoopbackPort } from "../harness/loopback.js";
import { leakCheck, runId } from "../harness/netns.js";
import { stackHeader } from "../harness/stack-header.js";
import { onTeardown } from "../harness/teardown.js";

const t = suite("runner/preflight-host");
const realm = `p${runId()}`;
let dir = "";
let ctd: TestContainerd;

function manifest(container: string): string {
  return `${stackHeader(realm)}---
kind: Cell
metadata: {name: web}
spec:
  realmId: ${realm}
  spaceId: net
  stackId: st
  containers:
    - {id: app, root: true, image: docker.io/library/busybox:latest, command: /bin/sleep, args: ["60"], ${container}}
`;
}

/** A plugin directory holding links to the host's own plugins of `types` only. */
async function pluginDir(name: string, types: string[]): Promise<string> {
  const d = join(dir, name);
  await mkdir(d);
  const real = new PluginRunner();
  for (const type of types) {
    const path = await real.find(type);
    assert.ok(path, `the host has no CNI plugin ${type}`);
    await symlink(path, join(d, type));
  }
  return d;
}

/** A directory laid out as a cgroup2 root offering `controllers`. */
async function cgroupRoot(name: string, controllers: string): Promise<string> {
  const d = join(dir, name);
  await mkdir(d);
  await writeFile(join(d, "cgroup.controllers"), `${controllers}\n`);
  return d;
}

function open(pluginDirs: string[], root: string): Promise<Host> {
  return openHost({
    runPath: join(dir, "run"),
    runtimeDir: join(dir, "rt"),
    containerdAddress: ctd.address,
    runcRoot: ctd.runcRoot,
    pluginDirs,
    cgroups: new CgroupV2Driver({ root }),
  });
}

/**
 * Plans and applies `text` on `host`: both stop at the plan's errors. Returns the preflight ones
 * (the busybox image is not loaded either: loading it would make the realm's namespace).
 */
async function refused(host: Host, text: string): Promise<string[]> {
  const sources = [{ file: "stack.yaml", text }];
  const load = loadManifests(sources);
  assert.is(load.errorCount, 0);
  const paths = { runPath: host.runPath, runtimeDir: host.runtimeDir, containerdAddress: ctd.address, host };
  const planned = await planManifests({ ...paths, load, sources });
  assert.is(planned.kind, "planned");
  const errors =
    planned.kind === "planned"
      ? planned.plan.errors.filter((e) => e.severity === "error" && /CNI plugin|cgroup controller/.test(e.summary))
      : [];
  const applied = await applyPlan({ ...paths, input: { kind: "manifests", load } });
  assert.is(applied.kind, "plan-errors");
  return errors.map((e) => `${e.address}: ${e.summary} | ${e.remedy}`);
}

/** Nothing of the realm on the host: namespace, records, network, pins, the fake cgroup root. */
async function untouched(host: Host, root: string): Promise<void> {
  assert.not.ok((await host.containerd.listNamespaces()).includes(`${realm}.kukeon.io`), "no namespace");
  assert.equal((await host.records.loadAll()).records, [], "no record");
  assert.equal(await readdir(root), ["cgroup.controllers"], "no cgroup made");
  const executor = new NetworkExecutor({ runPath: host.runPath, runtimeDir: host.runtimeDir });
  const leaks = await leakCheck({
    network: { executor, realm, space: "net", cells: [cellAddress(realm, "net", "st", "web")] },
  });
  assert.equal(leaks, []);
}

t.before(async () => {
  ctd = await sharedContainerd();
  dir = await mkdtemp("/tmp/kuke-preflight-");
  onTeardown(`preflight ${realm}`, () => rm(dir, { recursive: true, force: true }));
});
t.after(() => rm(dir, { recursive: true, force: true }));

t("a plugin directory without portmap: a cell that publishes a port is a plan error; nothing changes", async () => {
  const plugins = await pluginDir("cni-no-portmap", ["bridge", "host-local", "loopback"]);
  const root = await cgroupRoot("cg-all", "cpuset cpu io memory pids");
  const host = await open([plugins], root);
  try {
    const port = await freeLoopbackPort();
    const errors = await refused(host, manifest(`ports: ["127.0.0.1:${port}:80"]`));
    assert.equal(errors, [
      `cell/${realm}/net/st/web: CNI plugin 'portmap' is not installed, and this plan runs it (published ports) | install the CNI plugins (Debian: apt-get install containernetworking-plugins); 'kuke init' reports which are present`,
    ]);
    await untouched(host, root);
  } finally {
    host.close();
  }
});

t("a cgroup root without pids: a container with pidsLimit is a plan error; nothing changes", async () => {
  const plugins = await pluginDir("cni-all", ["bridge", "host-local", "loopback", "portmap"]);
  const root = await cgroupRoot("cg-no-pids", "cpuset cpu io memory");
  const host = await open([plugins], root);
  try {
    const errors = await refused(host, manifest("resources: {pidsLimit: 64, memoryLimitBytes: 67108864}"));
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(
      errors[0]!,
      `container/${realm}/net/st/web/app: cgroup controller 'pids' is not available on this host (cgroup v2), and spec.resources.pidsLimit needs it | enable 'pids'`,
    );
    await untouched(host, root);
  } finally {
    host.close();
  }
});

t.run();
