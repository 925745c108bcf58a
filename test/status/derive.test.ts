import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { DesiredState, HostFacts } from "../../src/model/index.js";
import { indexDesired } from "../../src/planner/resource-view.js";
import { cellState, containerState, deriveStatus } from "../../src/status/derive.js";
import { appliedFacts, cellNetns, containerOf, emptyFacts, host, world } from "../planner/builders.js";

const t = suite("status/derive");

/** The status of `facts`, with the resources `desired` declares indexed as the runner does. */
function statusOf(desired: DesiredState, facts: HostFacts, appliedAt?: Record<string, string>) {
  const actual = host(facts);
  return deriveStatus(actual, { declared: indexDesired(desired, actual), ...(appliedAt ? { appliedAt } : {}) });
}

const busybox = (id: string, extra = {}) => ({ id, image: "busybox", command: "sleep", args: ["1000"], ...extra });

function twoCells() {
  return world({
    credentials: [{ username: "bob", password: "hunter2", serverAddress: "127.0.0.1:5000" }],
    spaceSpec: { network: { egress: { default: "deny", allow: [] } } },
    cells: [
      { name: "api", containers: [busybox("app"), busybox("side")] },
      { name: "db", containers: [busybox("pg")] },
    ],
  });
}

t("a freshly applied world is Ready everywhere", () => {
  const desired = twoCells();
  const r = statusOf(desired, appliedFacts(desired));
  assert.equal(
    r.cells.map((c) => [c.name, c.state, c.running, c.total, c.ip]),
    [
      ["api", "Ready", 3, 3, "10.88.1.10"],
      ["db", "Ready", 2, 2, r.cells[1]!.ip],
    ],
  );
  assert.ok(r.cells[1]!.ip?.startsWith("10.88.1."));
  assert.equal(
    r.containers.filter((c) => c.cell === "api").map((c) => [c.name, c.role, c.state]),
    [
      ["app", "workload", "Running"],
      ["root", "root", "Running"],
      ["side", "workload", "Running"],
    ],
  );
  assert.equal(r.spaces[0]!.state, "Ready");
  assert.equal(r.spaces[0]!.subnet, "10.88.1.0/24");
  assert.equal(r.spaces[0]!.cells, 2);
  assert.equal(r.spaces[0]!.egress.expected, true);
  assert.equal(r.stacks[0]!.readyCells, 2);
  assert.equal(r.realms[0]!.state, "Ready");
  assert.equal(r.realms[0]!.namespace, "main.kukeon.io");
  assert.equal(r.realms[0]!.spaces, 1);
  assert.ok(r.realms[0]!.recorded && r.realms[0]!.declared);
});

t("container states: exit codes, no task, gone, paused", () => {
  const desired = twoCells();
  const facts = appliedFacts(desired);
  containerOf(facts, "container/main/web/app/api/app").task = { status: "stopped", exitCode: 137 };
  containerOf(facts, "container/main/web/app/api/side").task = { status: "missing" };
  containerOf(facts, "container/main/web/app/db/pg").task = { status: "paused" };
  const r = deriveStatus(host(facts));
  const by = Object.fromEntries(r.containers.map((c) => [`${c.cell}/${c.name}`, c]));
  assert.is(by["api/app"]!.stateText, "Stopped (exit 137)");
  assert.is(by["api/app"]!.exitCode, 137);
  assert.is(by["api/side"]!.stateText, "Stopped");
  assert.is(by["api/side"]!.exitCode, undefined);
  assert.is(by["db/pg"]!.state, "Unknown");
  assert.is(by["api/root"]!.state, "Running");
  assert.ok(by["api/root"]!.pid !== undefined);
  const api = r.cells.find((c) => c.name === "api")!;
  assert.is(api.state, "Degraded");
  assert.is(api.stateText, "Degraded (app exit 137)");
  assert.equal(api.exitCodes, { app: 137 });
  assert.is(`${api.running}/${api.total}`, "1/3");
});

t("cell states: Stopped when all exited 0 or have no task, Failed on non-zero or missing", () => {
  const ok = (name: string, exitCode?: number) => ({
    name,
    state: "Stopped" as const,
    ...(exitCode !== undefined ? { exitCode } : {}),
  });
  assert.is(cellState([ok("a", 0), ok("b")]).state, "Stopped");
  assert.is(cellState([ok("a", 0), ok("b", 2)]).stateText, "Failed (b exit 2)");
  const gone = cellState([ok("a", 0), { name: "b", state: "Missing" }]);
  assert.is(gone.state, "Failed");
  assert.equal(gone.missing, ["b"]);
  assert.is(cellState([{ name: "a", state: "Created" }]).state, "Stopped");
  assert.is(cellState([]).stateText, "Failed (no containers)");
  assert.is(cellState([{ name: "a", state: "Running" }]).stateText, "Ready");
  assert.is(containerState(undefined).state, "Unknown");
  assert.is(containerState(null).state, "Missing");
});

t("reality wins: missing containers, network, namespace and chain", () => {
  const desired = twoCells();
  const facts = appliedFacts(desired);
  const ns = facts.namespaces["main.kukeon.io"]!;
  for (const id of Object.keys(ns.containers)) if (id.startsWith("web_app_db_")) delete ns.containers[id];
  facts.egressChains = [];
  delete facts.attachments[cellNetns("cell/main/web/app/api")];
  let r = deriveStatus(host(facts));
  const db = r.cells.find((c) => c.name === "db")!;
  assert.is(db.state, "Failed");
  assert.equal(db.missing, ["pg", "root"]);
  assert.is(r.spaces[0]!.state, "Degraded", "egress chain expected but gone");
  // The recorded IP stands in when the attachment is not visible.
  assert.is(r.cells.find((c) => c.name === "api")!.ip, "10.88.1.10");

  facts.networks = {};
  delete facts.namespaces["main.kukeon.io"];
  r = deriveStatus(host(facts));
  assert.is(r.spaces[0]!.state, "Missing");
  assert.is(r.realms[0]!.state, "Missing");
  assert.ok(r.containers.every((c) => c.state === "Missing"));
});

t("declared but never applied resources are listed as missing", () => {
  const desired = twoCells();
  const r = statusOf(desired, emptyFacts());
  assert.is(r.cells.length, 2);
  assert.ok(r.cells.every((c) => c.state === "Failed" && !c.recorded && c.declared));
  assert.is(r.realms[0]!.state, "Missing");
  assert.is(r.spaces[0]!.state, "Missing");
  assert.is(r.containers.find((c) => c.name === "app")!.image, "busybox");
});

t("a finished one-shot job is Completed and its cell Ready; a failed one is Stopped with its code", () => {
  const desired = world({
    cells: [
      {
        name: "jobs",
        containers: [busybox("once", { restartPolicy: "no" }), busybox("svc", { restartPolicy: "always" })],
      },
    ],
  });
  const facts = appliedFacts(desired);
  containerOf(facts, "container/main/web/app/jobs/once").task = { status: "stopped", exitCode: 0 };
  let r = statusOf(desired, facts);
  const once = () => r.containers.find((c) => c.name === "once")!;
  assert.is(once().state, "Completed");
  assert.is(r.cells[0]!.state, "Ready");
  // Without the desired state, the recorded policy decides.
  assert.is(deriveStatus(host(facts)).containers.find((c) => c.name === "once")!.state, "Completed");
  containerOf(facts, "container/main/web/app/jobs/once").task = { status: "stopped", exitCode: 2 };
  r = statusOf(desired, facts);
  assert.is(once().stateText, "Stopped (exit 2)");
  assert.is(r.cells[0]!.state, "Degraded");
  // An 'always' service that exited 0 is not a finished job.
  containerOf(facts, "container/main/web/app/jobs/svc").task = { status: "stopped", exitCode: 0 };
  r = statusOf(desired, facts);
  assert.is(r.containers.find((c) => c.name === "svc")!.state, "Stopped");
});

t("restarts: the monitor's count, else a running task kuke did not start", () => {
  const desired = world({ cells: [{ name: "s", containers: [busybox("svc", { restartPolicy: "always" })] }] });
  const facts = appliedFacts(desired);
  const svc = containerOf(facts, "container/main/web/app/s/svc");
  svc.labels["kuke.dev/started-pid"] = String(svc.task.pid);
  const restarts = () => {
    const c = deriveStatus(host(facts)).containers.find((k) => k.name === "svc")!;
    return [c.restarts, c.restartsExact];
  };
  assert.equal(restarts(), [0, true]);
  svc.task = { status: "running", pid: 4242 };
  assert.equal(restarts(), [1, false]);
  svc.labels["containerd.io/restart.count"] = "3";
  assert.equal(restarts(), [3, true]);
});

t("host-network cells show no IP", () => {
  const desired = world({ cells: [{ name: "h", containers: [busybox("app", { hostNetwork: true })] }] });
  const r = statusOf(desired, appliedFacts(desired));
  assert.is(r.cells[0]!.hostNetwork, true);
  assert.is(r.cells[0]!.ip, undefined);
  assert.is(r.cells[0]!.state, "Ready");
});

t("no password, nor its digest, ever reaches a status: '(sensitive)' in its place", () => {
  const desired = twoCells();
  const r = statusOf(desired, appliedFacts(desired), { "realm/main": "2026-01-01T00:00:00Z" });
  const text = JSON.stringify(r);
  assert.not.match(text, "hunter2");
  assert.not.match(text, "sha256:");
  assert.equal(r.realms[0]!.spec?.registryCredentials, [
    { username: "bob", password: "(sensitive)", serverAddress: "127.0.0.1:5000" },
  ]);
  assert.is(r.realms[0]!.appliedAt, "2026-01-01T00:00:00Z");
});

t("a container's secret digests show as '(sensitive)', the rest of each secret as declared", () => {
  const desired = world({
    cells: [
      {
        name: "api",
        containers: [
          busybox("app", {
            secrets: [
              { name: "token", fromFile: "/etc/token", mountPath: "/run/token", valueHash: "hmac-sha256:abc" },
              { name: "PW", fromEnv: "PW", valueHash: "hmac-sha256:def" },
            ],
          }),
        ],
      },
    ],
  });
  const r = statusOf(desired, appliedFacts(desired));
  const app = r.containers.find((c) => c.name === "app");
  assert.equal(app?.spec?.secrets, [
    { name: "token", fromFile: "/etc/token", mountPath: "/run/token", valueHash: "(sensitive)" },
    { name: "PW", fromEnv: "PW", valueHash: "(sensitive)" },
  ]);
  assert.not.match(JSON.stringify(r), "hmac-sha256:");
});

t.run();
