/**
 * The Runner library against the real host (harness containerd, temporary run path, unique
 * realm): bootstrap, create/ensure/update/get/list/state of every kind, updates by the field
 * table (live, restart, recreate, recreate-cell), existence checks, recreate, delete and purge.
 */
import { readFile, stat } from "node:fs/promises";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  type CellAddress,
  type ChangeResult,
  type ContainerAddress,
  cellAddress,
  containerAddress,
  isKukeError,
  Runner,
  realmAddress,
  spaceAddress,
  stackAddress,
} from "../../src/index.js";
import { bridgeName, cgroupPath } from "../../src/model/index.js";
import { type StackHost, stackHost } from "../e2e/stack-host.js";
import { leakCheck } from "../harness/netns.js";

const t = suite("runner/runner-host");
let h: StackHost;
let runner: Runner;
let cell: CellAddress;
let app: ContainerAddress;
const IMAGE = "docker.io/library/busybox:latest";

t.before(async () => {
  h = await stackHost();
  runner = new Runner({
    runPath: h.env.KUKE_RUN_PATH,
    runtimeDir: h.env.KUKE_RUNTIME_DIR,
    containerdAddress: h.env.KUKE_CONTAINERD_ADDRESS,
    runcRoot: h.env.KUKE_RUNC_ROOT,
    stopGraceMs: 1000,
  });
  cell = cellAddress(h.realm, "s1", "t1", "c1");
  app = containerAddress(h.realm, "s1", "t1", "c1", "app");
});
t.after(async () => {
  await runner?.purge(realmAddress(h.realm)).catch(() => undefined);
  await h?.cleanup();
});

function ok(r: ChangeResult): ChangeResult {
  assert.ok(r.result, "the plan ran");
  assert.is(r.result.status, "succeeded", JSON.stringify(r.result.failures.map((f) => f.error.message)));
  return r;
}

async function pidOf(a: ContainerAddress): Promise<number> {
  const s = await runner.state(a);
  assert.is(s.state, "Running", s.stateText);
  return s.pid as number;
}

t("bootstrapCni reports the plugins; ensureRootCgroup makes /kukeon", async () => {
  const cni = await runner.bootstrapCni();
  assert.ok(cni.plugins.some((p) => p.type === "bridge" && p.path !== undefined));
  assert.is(await runner.ensureRootCgroup(), "/kukeon");
  assert.ok((await stat("/sys/fs/cgroup/pids/kukeon")).isDirectory());
});

t("create every kind in one call; get, list and the existence checks see them", async () => {
  ok(
    await runner.create(
      { kind: "realm", name: h.realm },
      { kind: "space", realm: h.realm, name: "s1" },
      { kind: "stack", realm: h.realm, space: "s1", name: "t1" },
      { kind: "cell", realm: h.realm, space: "s1", stack: "t1", name: "c1" },
      {
        kind: "container",
        realm: h.realm,
        space: "s1",
        stack: "t1",
        cell: "c1",
        name: "app",
        spec: { image: IMAGE, command: "/bin/sleep", args: ["3600"], env: ["A=1"] },
      },
    ),
  );
  const c = await runner.get(cell);
  assert.is(c?.state, "Ready");
  assert.is(c?.total, 2);
  assert.match(c?.ip ?? "", /^10\.88\./);
  assert.is((await runner.get(realmAddress(h.realm)))?.state, "Ready");
  assert.equal(
    (await runner.list("container", { realm: h.realm })).map((s) => s.name),
    ["app", "root"],
  );
  assert.ok(await runner.realmNamespaceExists(h.realm));
  assert.ok(await runner.spaceNetworkConfigExists(h.realm, "s1"));
  assert.ok(await runner.cellRootContainerExists(cell));
  assert.ok(await runner.cgroupExists(stackAddress(h.realm, "s1", "t1")));
  assert.not.ok(await runner.realmNamespaceExists("nosuchrealm"));
  assert.is(await runner.get(cellAddress(h.realm, "s1", "t1", "nope")), undefined);
});

t("create refuses what exists; update refuses what does not; ensure leaves existing specs alone", async () => {
  try {
    await runner.create({ kind: "stack", realm: h.realm, space: "s1", name: "t1" });
    assert.unreachable("create of an existing stack");
  } catch (e) {
    assert.ok(isKukeError(e, "already-exists"));
  }
  try {
    await runner.update({ kind: "stack", realm: h.realm, space: "s1", name: "t9" });
    assert.unreachable("update of a missing stack");
  } catch (e) {
    assert.ok(isKukeError(e, "not-found"));
  }
  const pid = await pidOf(app);
  const r = await runner.ensure({
    kind: "container",
    realm: h.realm,
    space: "s1",
    stack: "t1",
    cell: "c1",
    name: "app",
    spec: { image: IMAGE, command: "/bin/sleep", args: ["9"] },
  });
  assert.is(r.result, undefined);
  assert.is(await pidOf(app), pid);
});

const appSpec = (over: object) => ({
  kind: "container" as const,
  realm: "",
  space: "s1",
  stack: "t1",
  cell: "c1",
  name: "app",
  spec: { image: IMAGE, command: "/bin/sleep", args: ["3600"], env: ["A=1"], ...over },
});

t("update follows the field table: limits live, env restarts, root change recreates the cell", async () => {
  const pid = await pidOf(app);
  const live = ok(await runner.update({ ...appSpec({ resources: { pidsLimit: 77 } }), realm: h.realm }));
  assert.ok(Object.values(live.steps).some((s) => s.kind === "cgroup.update"));
  assert.is(await pidOf(app), pid, "a live change keeps the task");
  const pids = await readFile(`/sys/fs/cgroup/pids${cgroupPath(h.realm, "s1", "t1", "c1", "app")}/pids.max`, "utf8");
  assert.is(pids.trim(), "77");
  ok(await runner.update({ ...appSpec({ resources: { pidsLimit: 77 }, env: ["A=2"] }), realm: h.realm }));
  const restarted = await pidOf(app);
  assert.is.not(restarted, pid, "an env change restarts the task");
  const environ = (await readFile(`/proc/${restarted}/environ`, "utf8")).split("\0");
  assert.ok(environ.includes("A=2"));
  const rootPid = await pidOf(containerAddress(h.realm, "s1", "t1", "c1", "root"));
  const recreated = ok(
    await runner.update({
      kind: "cell",
      realm: h.realm,
      space: "s1",
      stack: "t1",
      name: "c1",
      labels: { tier: "x" },
      spec: {
        containers: [
          { id: "main", root: true, image: IMAGE, command: "/bin/sleep", args: ["3600"] },
          {
            id: "app",
            image: IMAGE,
            command: "/bin/sleep",
            args: ["3600"],
            env: ["A=2"],
            resources: { pidsLimit: 77 },
          },
        ],
      },
    }),
  );
  assert.is(recreated.plan.changes.find((c) => c.address === `cell/${h.realm}/s1/t1/c1`)?.action, "replace");
  const c = await runner.get(cell);
  assert.is(c?.state, "Ready");
  assert.equal(c?.containers, ["app", "main"]);
  assert.is(await runner.get(containerAddress(h.realm, "s1", "t1", "c1", "root")), undefined);
  assert.is.not(await pidOf(containerAddress(h.realm, "s1", "t1", "c1", "main")), rootPid);
});

t("stop, kill and start change the running tasks; recreateCell makes new ones", async () => {
  ok(await runner.stop(app));
  assert.is((await runner.state(app)).state, "Stopped");
  ok(await runner.start(app));
  const pid = await pidOf(app);
  ok(await runner.kill(cell));
  assert.is((await runner.get(cell))?.running, 0);
  ok(await runner.start(cell));
  assert.is((await runner.get(cell))?.state, "Ready");
  const before = await pidOf(app);
  assert.is.not(before, pid);
  ok(await runner.recreateCell(cell));
  assert.is.not(await pidOf(app), before);
  const drift = await runner.refresh();
  assert.equal(drift.drift, []);
});

t("delete refuses a space with stacks; delete with cascade and purge leave nothing", async () => {
  try {
    await runner.delete(spaceAddress(h.realm, "s1"));
    assert.unreachable("delete of a space with children");
  } catch (e) {
    assert.ok(isKukeError(e, "failed-precondition"));
  }
  assert.is((await runner.get(cell))?.state, "Ready");
  ok(await runner.delete(stackAddress(h.realm, "s1", "t1"), { cascade: true }));
  assert.equal(await runner.list("cell", { realm: h.realm }), []);
  const purged = await runner.purge(realmAddress(h.realm));
  assert.is(purged.report.failed, 0);
  assert.equal(await runner.list("realm", { realm: h.realm }), []);
  assert.equal(await runner.list("space", { realm: h.realm }), []);
  const leaks = await leakCheck({ links: [bridgeName(h.realm, "s1")] });
  assert.equal(leaks, []);
  assert.not.ok(await runner.cgroupExists(realmAddress(h.realm)));
});

t.run();
