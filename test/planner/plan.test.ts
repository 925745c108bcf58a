import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ContainerInput } from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import type { Plan, ResourceChange } from "../../src/planner/types.js";
import { addr, appliedFacts, emptyFacts, host, options, world } from "./builders.js";
import { SCENARIOS } from "./scenarios.js";

function run(name: string): Plan {
  const s = SCENARIOS[name]!();
  return plan(s.desired, host(s.facts), s.options);
}

function change(p: Plan, address: string): ResourceChange {
  const c = p.changes.find((x) => x.address === address);
  assert.ok(c, `no change for ${address}`);
  return c!;
}

const active = (p: Plan) => p.changes.filter((c) => c.action !== "noop").map((c) => `${c.action} ${c.address}`);

const t = suite("planner/plan");

t("create all: every resource is created, parents first", () => {
  const p = run("create-all");
  assert.equal(p.summary, { add: 9, change: 0, replace: 0, destroy: 0 });
  assert.equal(p.changes.map((c) => c.address).slice(0, 4), [
    "realm/main",
    "space/main/web",
    "stack/main/web/app",
    "cell/main/web/app/api",
  ]);
  assert.equal(change(p, "cell/main/web/app/api").knownAfterApply, ["computed.ip"]);
  assert.equal(p.errors, []);
});

t("no-op: nothing changes and nothing is fingerprinted", () => {
  const p = run("no-op");
  assert.equal(active(p), []);
  assert.equal(p.fingerprints, {});
  assert.equal(p.drift, []);
});

t("env change: update in place with a task restart", () => {
  const p = run("env-change");
  assert.equal(active(p), ["update container/main/web/app/api/app"]);
  const c = change(p, "container/main/web/app/api/app");
  assert.equal(c.changedPaths, ["spec.env"]);
  assert.is(c.effect, "restart");
  assert.ok(c.restarts);
  assert.ok(p.fingerprints["container/main/web/app/api/app"]?.startsWith("sha256:"));
});

t("root image change replaces the whole cell", () => {
  const p = run("root-image-change");
  const cell = change(p, "cell/main/web/app/db");
  assert.is(cell.action, "replace");
  assert.equal(cell.reason, { kind: "field", text: "field spec.containers[pg].image forces replacement" });
  const pg = change(p, "container/main/web/app/db/pg");
  assert.is(pg.action, "replace");
  assert.equal(pg.fieldEffects, [{ path: "spec.image", effect: "recreate-cell", forcesReplacement: true }]);
  assert.is(change(p, "cell/main/web/app/api").action, "noop");
});

t("workload image change replaces only that container", () => {
  const p = run("workload-image-change");
  assert.equal(active(p), ["replace container/main/web/app/api/app"]);
  assert.equal(change(p, "container/main/web/app/api/app").reason?.text, "field spec.image forces replacement");
});

t("a container added or removed is a create or delete; the cell is an update", () => {
  const added = run("container-added");
  assert.equal(active(added), ["update cell/main/web/app/api", "create container/main/web/app/api/metrics"]);
  assert.is(change(added, "cell/main/web/app/api").effect, "none");
  const removed = run("container-removed");
  assert.equal(active(removed), ["update cell/main/web/app/api", "delete container/main/web/app/api/sidecar"]);
});

t("space defaults reach containers through their effective fields", () => {
  const p = run("space-defaults-change");
  assert.is(change(p, "space/main/web").effect, "none");
  assert.is(change(p, "container/main/web/app/api/app").action, "update");
  assert.equal(change(p, "container/main/web/app/api/app").changedPaths, ["spec.user"]);
  // The synthesized root does not inherit defaults; the declared root pg does, which recreates its cell.
  assert.is(change(p, "container/main/web/app/api/root").action, "noop");
  assert.is(change(p, "cell/main/web/app/db").action, "replace");
});

t("egress and limits are live updates without restarts", () => {
  const egress = change(run("egress-change"), "space/main/web");
  assert.is(egress.action, "update");
  assert.is(egress.effect, "live");
  const limits = change(run("limits-change"), "container/main/web/app/api/app");
  assert.is(limits.effect, "live");
  assert.not.ok(limits.restarts);
});

t("drift: each kind is reported and repaired", () => {
  const cases: [string, string, string, string, string][] = [
    [
      "drift-container-missing",
      "container/main/web/app/api/sidecar",
      "container-missing",
      "create",
      "drift: container missing",
    ],
    [
      "drift-task-exited",
      "container/main/web/app/api/app",
      "task-exited",
      "update",
      "drift: task exited with code 137 outside kuke",
    ],
    [
      "drift-spec-hash",
      "container/main/web/app/api/app",
      "spec-changed",
      "replace",
      "drift: spec changed outside kuke",
    ],
    ["drift-cgroup-missing", "container/main/web/app/api/app", "cgroup-missing", "update", "drift: cgroup missing"],
    [
      "drift-netns-missing",
      "cell/main/web/app/api",
      "netns-missing",
      "replace",
      "drift: network namespace pin missing",
    ],
    [
      "drift-attachment-missing",
      "cell/main/web/app/db",
      "attachment-missing",
      "replace",
      "drift: CNI attachment missing",
    ],
    [
      "drift-root-task-dead",
      "cell/main/web/app/db",
      "root-task-dead",
      "replace",
      "drift: task exited with code 1 outside kuke",
    ],
  ];
  for (const [name, address, kind, action, reason] of cases) {
    const p = run(name);
    assert.equal(
      p.drift.map((d) => d.kind),
      [kind],
      name,
    );
    const c = change(p, address);
    assert.is(c.action, action, name);
    assert.equal(c.reason, { kind: "drift", text: reason }, name);
  }
  assert.ok(change(run("drift-task-exited"), "container/main/web/app/api/app").restarts);
  assert.is(change(run("drift-cgroup-missing"), "container/main/web/app/api/app").effect, "live");
  // A replaced cell takes every container with it.
  assert.is(change(run("drift-netns-missing"), "container/main/web/app/api/sidecar").action, "replace");
});

t("an unmanaged object in the way is an error with a remedy", () => {
  const p = run("drift-unmanaged-object");
  assert.equal(
    p.drift.map((d) => d.kind),
    ["unmanaged-object"],
  );
  assert.is(p.errors.length, 1);
  assert.is(p.errors[0]!.code, "already-exists");
  assert.match(p.errors[0]!.remedy!, "kuke purge container metrics --realm main");
});

t("prune: kept and listed without --prune, deleted with it", () => {
  const kept = run("prune-kept");
  assert.equal(active(kept), []);
  assert.equal(kept.notInConfiguration, ["cell/main/web/app/old"]);
  const pruned = run("prune");
  assert.equal(active(pruned), [
    "delete cell/main/web/app/old",
    "delete container/main/web/app/old/root",
    "delete container/main/web/app/old/sidecar",
  ]);
  assert.equal(change(pruned, "cell/main/web/app/old").reason, {
    kind: "pruned",
    text: "not in configuration (pruned)",
  });
  assert.equal(pruned.notInConfiguration, []);
});

t("another project's records are never touched, even with --prune", () => {
  const p = run("other-project-untouched");
  assert.equal(active(p), []);
  assert.equal(p.notInConfiguration, []);
  assert.ok(p.changes.every((c) => !c.address.includes("theirs")));
});

t("--prune keeps a parent that holds another project's resources", () => {
  const mine = appliedFacts(world({ cells: [{ name: "a", containers: [{ id: "x", image: "i" }] }] }));
  const theirs = appliedFacts(
    world({ cells: [{ name: "b", containers: [{ id: "y", image: "i" }] }], omit: [] }),
    "other",
  );
  for (const [k, r] of Object.entries(theirs.records)) if (k.includes("/b")) mine.records[k] = r;
  const p = plan(world({ cells: [], omit: ["space", "stack"] }), host(mine), options({ prune: true }));
  assert.is(change(p, "cell/main/web/app/a").action, "delete");
  assert.not.ok(p.changes.some((c) => c.address === "stack/main/web/app"));
  assert.ok(p.errors.some((e) => e.severity === "warning" && e.address === "stack/main/web/app"));
});

t("--target limits the plan to the target, its contents and the ancestors it needs", () => {
  assert.equal(active(run("target")), ["update container/main/web/app/api/app"]);
  const p = run("target-creates-ancestors");
  assert.equal(active(p), [
    "create realm/main",
    "create space/main/web",
    "create stack/main/web/app",
    "create cell/main/web/app/api",
    "create container/main/web/app/api/app",
    "create container/main/web/app/api/root",
    "create container/main/web/app/api/sidecar",
  ]);
});

t("--target on a container whose change replaces its cell takes the cell along", () => {
  const s = SCENARIOS["root-image-change"]!();
  const p = plan(s.desired, host(s.facts), { ...s.options, targets: [addr("container/main/web/app/db/pg")] });
  assert.equal(active(p), ["replace cell/main/web/app/db", "replace container/main/web/app/db/pg"]);
});

t("--replace forces a replacement of the address and its contents", () => {
  const p = run("replace");
  assert.is(change(p, "cell/main/web/app/api").reason?.text, "requested with --replace");
  assert.equal(p.summary, { add: 0, change: 0, replace: 4, destroy: 0 });
});

t("destroy deletes everything desired and found", () => {
  const p = run("destroy");
  assert.equal(p.summary, { add: 0, change: 0, replace: 0, destroy: 9 });
  assert.ok(p.changes.every((c) => c.action === "delete" && c.reason?.kind === "destroy" && c.after === null));
  const none = plan(world({ cells: [] }), host(emptyFacts()), options({ destroy: true }));
  assert.equal(none.changes, []);
});

t("an immutable change is refused unless replaced", () => {
  const p = run("immutable-namespace");
  assert.equal(
    p.errors.map((e) => [e.address, e.remedy]),
    [["realm/main", "re-run with --replace realm/main"]],
  );
  const r = run("immutable-namespace-replaced");
  assert.equal(r.errors, []);
  assert.is(change(r, "realm/main").action, "replace");
  assert.is(change(r, "container/main/web/app/db/pg").action, "replace");
  assert.ok(change(r, "realm/main").fieldEffects[0]!.forcesReplacement);
});

t("a parent neither declared nor on the host is an error naming it", () => {
  const p = run("missing-parent");
  assert.is(p.errors.length, 1);
  assert.match(p.errors[0]!.summary, "parent space/main/web is not declared");
  assert.match(p.errors[0]!.remedy!, "kuke create space web --realm main");
});

t("sensitive values never appear in the plan", () => {
  const p = run("sensitive-password");
  const text = JSON.stringify(p);
  assert.not.match(text, "new-secret");
  assert.not.match(text, "old-secret");
  const realm = change(p, "realm/main");
  assert.is(realm.action, "update");
  assert.equal(realm.changedPaths, ["spec.registryCredentials[0].password"]);
  assert.equal(realm.sensitivePaths, ["spec.registryCredentials[0].password"]);
  // Digests are masked too: a hash of a short password is as good as the password.
  assert.not.match(text, /"password":"sha256/);
});

t("env secrets of a container the restart monitor restarts: a warning that containerd's stored spec holds them", () => {
  const secrets = [
    { name: "API_KEY", fromEnv: "K" },
    { name: "token", fromFile: "/t", mountPath: "/run/t" },
  ];
  const k = (id: string, restartPolicy: "always" | "no" | "on-failure") => ({ id, image: "i", restartPolicy, secrets });
  const desired = world({
    cells: [{ name: "c", containers: [k("kept", "always"), k("sealed", "no"), k("off", "on-failure")] }],
  });
  // on-failure is not handed to a 1.6 monitor (restart-policy.ts), so its secrets stay sealed too.
  const p = plan(desired, host(emptyFacts()), options());
  const warned = p.errors.filter((e) => e.severity === "warning").map((e) => [e.address, e.summary]);
  assert.equal(
    warned.map((w) => w[0]),
    ["container/main/web/app/c/kept"],
  );
  assert.match(warned[0]![1]!, "secret API_KEY will be readable in containerd's stored spec");
  assert.not.match(warned[0]![1]!, "token");
});

t("loose containers inherit the space defaults and need their cell on the host", () => {
  const desired = world({ spaceSpec: { defaults: { container: { user: "7" } } }, cells: [] });
  const facts = appliedFacts(
    world({
      spaceSpec: { defaults: { container: { user: "7" } } },
      cells: [{ name: "c", containers: [{ id: "a", image: "i" }] }],
    }),
  );
  const loose = (cell: string) => ({
    kind: "container" as const,
    realm: "main",
    space: "web",
    stack: "app",
    cell,
    name: "extra",
    labels: {},
    spec: { id: "extra", image: "busybox:1" } as ContainerInput,
  });
  const p = plan({ ...desired, looseContainers: [loose("c")] }, host(facts), options());
  const c = change(p, "container/main/web/app/c/extra");
  assert.is(c.action, "create");
  assert.is((c.after!.spec as { user?: string }).user, "7");
  assert.equal(p.errors, []);
  const missing = plan({ ...desired, looseContainers: [loose("nope")] }, host(facts), options());
  assert.match(missing.errors[0]!.summary, "parent cell/main/web/app/nope");
});

t("plans are plain data and do not depend on input order", () => {
  for (const name of Object.keys(SCENARIOS)) {
    const p = run(name);
    assert.equal(JSON.parse(JSON.stringify(p)), p, name);
  }
  const s = SCENARIOS["env-change"]!();
  const reversed = { ...s.desired, cells: [...s.desired.cells].reverse() };
  assert.equal(plan(reversed, host(s.facts), s.options), run("env-change"));
});

t("planning 200 cells with every other env changed updates exactly those 100 containers", () => {
  const cells = Array.from({ length: 200 }, (_, i) => ({
    name: `c${i}`,
    containers: [
      { id: "app", image: "busybox:1", env: [`N=${i}`] },
      { id: "side", image: "busybox:1" },
    ] as ContainerInput[],
  }));
  const before = appliedFacts(world({ cells }));
  const desired = world({
    cells: cells.map((c, i) =>
      i % 2 ? { ...c, containers: [{ ...c.containers[0]!, env: ["X=1"] }, c.containers[1]!] } : c,
    ),
  });
  // Timing lives in `npm run bench -- validate` (a timed test only measures the machine's load).
  const p = plan(desired, host(before), options());
  assert.is(p.summary.change, 100);
});

t.run();
