/**
 * `kuke init` with a temporary run path: against the harness containerd it reports the host and
 * creates realm `default` through plan and apply (then destroyed again); against no containerd it
 * reports that and exits 1 without creating anything.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { detectCgroupDriver } from "../../src/executors/cgroup/index.js";
import { managedPaths, stopManagedContainerd } from "../../src/executors/containerd/managed.js";
import { containerdBinary } from "../../src/executors/containerd/managed-unit.js";
import { sharedContainerd } from "../harness/containerd.js";
import { onTeardown } from "../harness/teardown.js";
import { runKuke } from "./capture.js";

const t = suite("cli/init");
let dir = "";

t.before(async () => {
  dir = await mkdtemp("/tmp/kuke-cli-init-");
  onTeardown(`rm ${dir}`, () => rm(dir, { recursive: true, force: true }));
});
t.after(() => rm(dir, { recursive: true, force: true }));

t("no containerd: the report says so, realm default is not created, exit 1", async () => {
  const env = {
    KUKE_RUN_PATH: join(dir, "a", "run"),
    KUKE_RUNTIME_DIR: join(dir, "a", "rt"),
    KUKE_CONTAINERD_ADDRESS: join(dir, "none.sock"),
  };
  const r = await runKuke(["init"], { env });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stdout, `containerd: not reachable at ${join(dir, "none.sock")}`);
  assert.match(r.stdout, "kuke init --managed-containerd");
  assert.match(r.stdout, "realm default: not created");
  assert.match(r.stdout, `run path: ${env.KUKE_RUN_PATH}`);
  assert.ok(await (await detectCgroupDriver()).exists("/kukeon"), "root cgroup");
});

t("with containerd: reports version, plugins and cgroups, and creates realm default once", async () => {
  const ctd = await sharedContainerd();
  const env = {
    KUKE_RUN_PATH: join(dir, "b", "run"),
    KUKE_RUNTIME_DIR: join(dir, "b", "rt"),
    KUKE_CONTAINERD_ADDRESS: ctd.address,
  };
  const realmFile = join(dir, "default-realm.yaml");
  await writeFile(realmFile, "kind: Realm\nmetadata: {name: default}\n");
  const destroy = () => runKuke(["destroy", "--auto-approve", "--project", "default", "-f", realmFile], { env });
  onTeardown("init: realm default", async () => {
    await destroy();
  });
  try {
    const r = await runKuke(["init", "--json"], { env });
    assert.is(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout);
    assert.is(report.ready, true);
    assert.is(report.containerd.effectiveAddress, ctd.address);
    assert.match(report.containerd.configured.version, /^\d+\.\d+/);
    assert.equal(
      report.cni.plugins.map((p: { type: string }) => p.type),
      ["bridge", "host-local", "loopback", "portmap"],
    );
    assert.ok(report.cni.plugins.every((p: { path?: string }) => typeof p.path === "string"));
    assert.ok(["v1", "v2"].includes(report.cgroups.driver));
    assert.is(report.cgroups.root, "/kukeon");
    assert.equal(report.defaultRealm, { status: "created" });

    const again = await runKuke(["init"], { env });
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stdout, "realm default: present");
    assert.match(again.stdout, "The host is ready for kuke.");
    const plan = await runKuke(["plan", "--detailed-exitcode", "--project", "default", "-f", realmFile], { env });
    assert.is(plan.code, 0, plan.stdout);
  } finally {
    const d = await destroy();
    assert.is(d.code, 0, d.stderr);
  }
});

t("--managed-containerd starts kuke's own daemon when none answers; later commands find it", async () => {
  const base = join(dir, "m");
  const env = {
    KUKE_RUN_PATH: join(base, "run"),
    KUKE_RUNTIME_DIR: join(base, "rt"),
    KUKE_CONTAINERD_ADDRESS: join(base, "none.sock"),
  };
  const paths = { runPath: env.KUKE_RUN_PATH, runtimeDir: env.KUKE_RUNTIME_DIR };
  const realmFile = join(base, "default-realm.yaml");
  const stop = async () => {
    await runKuke(["destroy", "--auto-approve", "--project", "default", "-f", realmFile], { env });
    await stopManagedContainerd({ ...paths, graceMs: 2000 });
  };
  onTeardown("init: managed containerd", stop);
  try {
    const r = await runKuke(["init", "--managed-containerd"], { env });
    assert.is(r.code, 0, r.stdout + r.stderr);
    const socket = managedPaths(paths).socket;
    assert.match(r.stdout, `at ${socket} (kuke's managed daemon)`);
    assert.match(r.stdout, "started kuke's managed containerd (pid ");
    assert.match(r.stdout, "realm default: created");
    // This machine has no systemd: init says so, and names the command to run at boot.
    assert.match(r.stdout, "no systemd on this host: nothing restarts kuke's containerd after a crash or a reboot");
    assert.match(r.stdout, `have your init system run: ${containerdBinary()} --config ${managedPaths(paths).config}`);
    // The configured socket still does not answer, so commands fall back to the managed one.
    await writeFile(realmFile, "kind: Realm\nmetadata: {name: default}\n");
    const plan = await runKuke(["plan", "--detailed-exitcode", "--project", "default", "-f", realmFile], { env });
    assert.is(plan.code, 0, plan.stdout + plan.stderr);
    const again = await runKuke(["init", "--managed-containerd"], { env });
    assert.is(again.code, 0);
    assert.not.match(again.stdout, "started kuke's managed containerd");
    const noUnit = await runKuke(["init", "--managed-containerd", "--no-unit"], { env });
    assert.is(noUnit.code, 0, noUnit.stderr);
    assert.match(noUnit.stdout, "not installed (--no-unit)");
  } finally {
    await stop();
  }
});

t.run();
