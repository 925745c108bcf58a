/**
 * The imperative verbs end to end on the real host (harness containerd, temporary run path and
 * runtime dir, the example stack under a unique realm): get, stop/start/kill of cells and
 * containers, refresh, create/delete of every kind, logs, delete without --cascade, and purge
 * after the run path is gone. The tests run in order and share one applied stack.
 */
import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { detectCgroupDriver } from "../../src/executors/cgroup/index.js";
import { createContainerdExecutor } from "../../src/executors/containerd/executor.js";
import { bridgeName, cellAddress, cgroupPath, netnsName } from "../../src/model/index.js";
import { leakCheck } from "../harness/netns.js";
import { CELLS, recordsSnapshot, SPACE, STACK, type StackHost, stackHost, waitFor } from "./stack-host.js";
import { cellLeaks } from "./stack-leaks.js";

const t = suite("e2e/imperative-verbs");
let h: StackHost;

t.before(async () => {
  h = await stackHost();
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
});
t.after(async () => {
  await h?.cleanup();
});

const scope = () => ["--realm", h.realm, "--space", SPACE, "--stack", STACK];

interface Item {
  address: string;
  metadata: { name: string };
  status: Record<string, unknown>;
}

async function get(kind: string, ...more: string[]): Promise<Item[]> {
  const r = await h.kuke(["get", kind, "--realm", h.realm, ...more, "-o", "json"]);
  assert.is(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { items: Item[] }).items;
}

async function cellStatus(cell: string): Promise<Record<string, unknown>> {
  const item = (await get("cells")).find((i) => i.metadata.name === cell);
  assert.ok(item, `no cell ${cell}`);
  return item.status;
}

/** Task status of `<cell>/<container>` as containerd reports it. */
async function taskOf(cell: string, container: string): Promise<string> {
  return (await h.containers()).get(h.idOf(cell, container))?.status ?? "absent";
}

t("get cells: Ready with IP and running/total; get realms, spaces, stacks, containers", async () => {
  for (const cell of Object.keys(CELLS) as (keyof typeof CELLS)[]) {
    const s = await cellStatus(cell);
    assert.is(s.state, "Ready");
    assert.match(String(s.ip), /^10\.88\.\d+\.\d+$/);
    assert.is(s.running, CELLS[cell].length);
    assert.is(s.total, CELLS[cell].length);
  }
  assert.is((await get("realms")).find((i) => i.metadata.name === h.realm)?.status.state, "Ready");
  assert.is((await get("spaces"))[0]?.status.state, "Ready");
  assert.is((await get("stacks"))[0]?.status.readyCells, 2);
  const containers = await get("containers", "--cell", "web");
  assert.equal(containers.map((c) => c.metadata.name).sort(), ["httpd", "root", "ticker"]);
  const table = await h.kuke(["get", "cells", "--realm", h.realm]);
  assert.match(table.stdout, /web\s+\S+\s+apps\s+shop\s+Ready\s+10\.88\.\d+\.\d+\s+3\/3/);
  const bad = await h.kuke(["get", "cells", "-o", "xml"]);
  assert.is(bad.code, 64);
});

t(
  "stop container: its task stops, the cell is Degraded, plan and apply leave it stopped; start brings it back",
  async () => {
    const stop = await h.kuke(["stop", "container", "ticker", ...scope(), "--cell", "web"]);
    assert.is(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, `Stopped container/${h.realm}/apps/shop/web/ticker.`);
    assert.not.equal(await taskOf("web", "ticker"), "running");
    assert.is(await taskOf("web", "httpd"), "running");
    const s = await cellStatus("web");
    assert.is(s.state, "Degraded");
    assert.is(s.running, 2);
    const plan = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
    assert.is(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(plan.stdout, "stopped by kuke stop");
    const apply = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
    assert.is(apply.code, 0, apply.stderr);
    assert.not.equal(await taskOf("web", "ticker"), "running");
    const start = await h.kuke(["start", "container", "ticker", ...scope(), "--cell", "web"]);
    assert.is(start.code, 0, start.stderr);
    assert.is(await taskOf("web", "ticker"), "running");
    assert.is((await cellStatus("web")).state, "Ready");
    const again = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
    assert.is(again.code, 0);
    assert.not.match(again.stdout, "stopped by kuke stop");
  },
);

t("stop and start of a root container alone are refused with the cell command as remedy", async () => {
  const r = await h.kuke(["stop", "container", "root", ...scope(), "--cell", "web"]);
  assert.is(r.code, 1);
  assert.match(r.stderr, `kuke stop cell web --realm ${h.realm} --space apps --stack shop`);
  assert.is(await taskOf("web", "root"), "running");
});

t("kill container: SIGKILL by default, the container shows exit 137 and stays down across apply", async () => {
  const r = await h.kuke(["kill", "container", "helper", ...scope(), "--cell", "worker"]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, "Sent SIGKILL");
  assert.is(await taskOf("worker", "helper"), "stopped");
  const helper = (await get("containers", "--cell", "worker")).find((c) => c.metadata.name === "helper");
  assert.is(helper?.status.exitCode, 137);
  assert.is((await cellStatus("worker")).state, "Degraded");
  const apply = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(apply.code, 0, apply.stderr);
  assert.is(await taskOf("worker", "helper"), "stopped");
  const bad = await h.kuke(["kill", "container", "helper", ...scope(), "--cell", "worker", "--signal", "NOPE"]);
  assert.is(bad.code, 64);
});

t("stop cell stops every task; start cell recreates it with everything running", async () => {
  const rootBefore = (await h.containers()).get(h.idOf("worker", "main"))?.pid;
  const stop = await h.kuke(["stop", "cell", "worker", ...scope()]);
  assert.is(stop.code, 0, stop.stderr);
  for (const k of CELLS.worker) assert.not.equal(await taskOf("worker", k), "running", k);
  assert.is((await cellStatus("worker")).state, "Stopped");
  assert.is((await cellStatus("web")).state, "Ready");
  const plan = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
  assert.is(plan.code, 0, plan.stdout);
  const start = await h.kuke(["start", "cell", "worker", ...scope()]);
  assert.is(start.code, 0, start.stderr);
  for (const k of CELLS.worker) assert.is(await taskOf("worker", k), "running", k);
  assert.not.equal((await h.containers()).get(h.idOf("worker", "main"))?.pid, rootBefore);
  const s = await cellStatus("worker");
  assert.is(s.state, "Ready", JSON.stringify(await get("containers", "--cell", "worker")));
  assert.match(String(s.ip), /^10\.88\./);
});

t("kill cell takes every task down, workloads before the root", async () => {
  const r = await h.kuke(["kill", "cell", "web", ...scope()]);
  assert.is(r.code, 0, r.stderr);
  for (const k of CELLS.web) assert.not.equal(await taskOf("web", k), "running", k);
  assert.is((await cellStatus("web")).running, 0);
  const start = await h.kuke(["start", "cell", "web", ...scope()]);
  assert.is(start.code, 0, start.stderr);
  for (const k of CELLS.web) assert.is(await taskOf("web", k), "running", k);
});

t("refresh reports a task killed outside kuke and changes nothing", async () => {
  const clean = await h.kuke(["refresh"]);
  assert.is(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, "No drift", clean.stdout);
  const ex = createContainerdExecutor(h.containerd.address, { runcRoot: h.containerd.runcRoot });
  try {
    await ex.killTask(h.namespace, h.idOf("web", "ticker"), 9);
  } finally {
    ex.close();
  }
  await waitFor("ticker to exit", async () => (await taskOf("web", "ticker")) === "stopped");
  const r = await h.kuke(["refresh"]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `container/${h.realm}/apps/shop/web/ticker: task exited with code 137 outside kuke`);
  assert.is(await taskOf("web", "ticker"), "stopped");
  const apply = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(apply.code, 0, apply.stderr);
  assert.is(await taskOf("web", "ticker"), "running");
});

t("create stack, cell and container by flags; the container runs and its logs show its output", async () => {
  const base = ["--realm", h.realm, "--space", SPACE];
  const stack = await h.kuke(["create", "stack", "extra", ...base]);
  assert.is(stack.code, 0, stack.stderr);
  const cell = await h.kuke(["create", "cell", "c1", ...base, "--stack", "extra"]);
  assert.is(cell.code, 0, cell.stderr);
  const c = await h.kuke([
    "create",
    "container",
    "app",
    ...base,
    "--stack",
    "extra",
    "--cell",
    "c1",
    "--image",
    "docker.io/library/busybox:latest",
    "--command",
    "/bin/sh",
    "--arg=-c",
    '--arg=echo "hello $WHO"; exec sleep 3600',
    "--env",
    "WHO=verbs",
  ]);
  assert.is(c.code, 0, c.stderr);
  const s = (await get("cells", "--stack", "extra"))[0]?.status;
  assert.is(s?.state, "Ready");
  assert.is(s?.running, 2);
  const addr = `container/${h.realm}/apps/extra/c1/app`;
  await waitFor("the log line", async () => (await h.kuke(["logs", addr])).stdout.includes("hello verbs"));
  const again = await h.kuke(["create", "cell", "c1", ...base, "--stack", "extra"]);
  assert.is(again.code, 1);
  assert.match(again.stderr, "already exists");
  const orphan = await h.kuke(["create", "cell", "c2", ...base, "--stack", "nope"]);
  assert.is(orphan.code, 1);
  assert.match(orphan.stderr, `kuke create stack nope --realm ${h.realm} --space apps`);
  const noImage = await h.kuke(["create", "container", "x", ...base, "--stack", "extra", "--cell", "c1"]);
  assert.is(noImage.code, 64);
});

t("create -f creates what the file declares and leaves what exists", async () => {
  const file = join(h.dir, "filed.yaml");
  await writeFile(
    file,
    [
      `kind: Stack\nmetadata: {name: filed}\nspec: {realmId: ${h.realm}, spaceId: apps}`,
      `kind: Cell\nmetadata: {name: f1}\nspec:\n  realmId: ${h.realm}\n  spaceId: apps\n  stackId: filed\n  containers:\n    - {id: app, image: docker.io/library/busybox:latest, command: /bin/sleep, args: ["3600"]}`,
    ].join("\n---\n"),
  );
  const r = await h.kuke(["create", "-f", file]);
  assert.is(r.code, 0, r.stderr);
  assert.is((await get("cells", "--stack", "filed"))[0]?.status.state, "Ready");
  const again = await h.kuke(["create", "-f", file]);
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stdout, "Everything already exists.");
  const del = await h.kuke(["delete", "stack", "filed", "--realm", h.realm, "--space", SPACE, "--cascade"]);
  assert.is(del.code, 0, del.stderr);
  assert.equal(await get("cells", "--stack", "filed"), []);
});

t("delete of a stack with cells without --cascade is refused and changes nothing", async () => {
  const before = await recordsSnapshot(h);
  const running = [...(await h.containers()).values()].filter((c) => c.status === "running").length;
  const r = await h.kuke(["delete", "stack", "extra", "--realm", h.realm, "--space", SPACE]);
  assert.is(r.code, 1);
  assert.match(r.stderr, "--cascade");
  assert.is(await recordsSnapshot(h), before);
  assert.is([...(await h.containers()).values()].filter((c) => c.status === "running").length, running);
});

t("delete container, then cell, then stack through the engine", async () => {
  const base = ["--realm", h.realm, "--space", SPACE, "--stack", "extra"];
  const root = await h.kuke(["delete", "container", "root", ...base, "--cell", "c1"]);
  assert.is(root.code, 1);
  const app = await h.kuke(["delete", "container", "app", ...base, "--cell", "c1"]);
  assert.is(app.code, 0, app.stderr);
  assert.equal(
    (await get("containers", "--stack", "extra")).map((c) => c.metadata.name),
    ["root"],
  );
  const cell = await h.kuke(["delete", "cell", "c1", ...base]);
  assert.is(cell.code, 0, cell.stderr);
  const stack = await h.kuke(["delete", "stack", "extra", "--realm", h.realm, "--space", SPACE]);
  assert.is(stack.code, 0, stack.stderr);
  assert.equal(await get("stacks", "extra"), []);
  assert.ok(!(await detectCgroupDriver().then((d) => d.exists(cgroupPath(h.realm, SPACE, "extra")))));
  const missing = await h.kuke(["delete", "cell", "c1", ...base]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, "kuke purge cell c1");
});

t("purge of the realm after the run path was removed leaves the host clean", async () => {
  await rm(h.env.KUKE_RUN_PATH, { recursive: true, force: true });
  const r = await h.kuke(["purge", "realm", h.realm]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, `Purged realm/${h.realm}`);
  assert.is((await h.containers()).size, 0);
  const cells = Object.keys(CELLS).map((c) => cellAddress(h.realm, SPACE, STACK, c));
  const leaks = await cellLeaks(h.env, h.realm, SPACE, STACK, CELLS);
  leaks.push(...(await leakCheck({ links: [bridgeName(h.realm, SPACE)] })));
  assert.equal(leaks, []);
  const pins = await readdir(join(h.env.KUKE_RUNTIME_DIR, "netns")).catch(() => []);
  assert.equal(
    pins.filter((p) => cells.some((c) => netnsName(c) === p)),
    [],
  );
  assert.equal(await get("cells"), []);
});

t.run();
