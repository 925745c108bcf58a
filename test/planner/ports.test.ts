import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ContainerInput } from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import { planToSteps } from "../../src/planner/steps.js";
import { appliedFacts, cellNetns, emptyFacts, host, options, world } from "./builders.js";

/** Published ports: a new cell attaches with them; a change moves them live through `cni.ports`. */
const t = suite("planner/published ports");

const CELL = "cell/main/web/app/api";
const withPorts = (app: string[], root?: string[]) =>
  world({
    cells: [
      {
        name: "api",
        containers: [
          ...(root ? [{ id: "gw", root: true, image: "busybox:1", ports: root } as ContainerInput] : []),
          { id: "app", image: "busybox:1", ports: app } as ContainerInput,
        ],
      },
    ],
  });

/** The host as `before` left it, its attachment publishing `published`. */
function applied(before: ReturnType<typeof world>, published: string[]) {
  const facts = appliedFacts(before);
  facts.attachments[cellNetns(CELL)]!.ports = published;
  return host(facts);
}

t("a new cell is attached with the ports its containers publish", () => {
  const desired = withPorts(["127.0.0.1:8080:80/tcp", "53:53/udp"]);
  const actual = host(emptyFacts());
  const steps = planToSteps(plan(desired, actual, options()), desired, actual);
  const attach = steps.find((s) => s.kind === "cni.attach");
  assert.equal(attach && "ports" in attach ? attach.ports : undefined, ["127.0.0.1:8080:80/tcp", "53:53/udp"]);
  assert.not.ok(steps.some((s) => s.kind === "cni.ports"));
});

t("changing a workload's ports moves them live: no restart, no cgroup write, the cell kept", () => {
  const before = withPorts(["127.0.0.1:8080:80/tcp"]);
  const desired = withPorts(["127.0.0.1:9090:80/tcp"]);
  const actual = applied(before, ["127.0.0.1:8080:80/tcp"]);
  const p = plan(desired, actual, options());
  const app = p.changes.find((c) => c.address === `${CELL.replace("cell/", "container/")}/app`)!;
  assert.is(app.action, "update");
  assert.equal(
    app.fieldEffects.map((f) => [f.path, f.effect]),
    [["spec.ports", "live"]],
  );
  assert.not.ok(app.restarts);
  const cell = p.changes.find((c) => c.address === CELL)!;
  assert.is(cell.action, "update");
  assert.equal(
    cell.fieldEffects.map((f) => [f.path, f.effect]),
    [["spec.ports", "live"]],
  );
  assert.equal(p.drift, [], "an edit of the file is a change, not drift");
  const steps = planToSteps(p, desired, actual);
  const kinds = steps.map((s) => s.kind);
  assert.ok(kinds.includes("cni.ports"), kinds.join(","));
  for (const k of ["cgroup.update", "task.stop", "task.start", "cni.attach", "cni.detach", "container.create"]) {
    assert.not.ok(kinds.includes(k as (typeof kinds)[number]), `${k} in ${kinds.join(",")}`);
  }
  const moved = steps.find((s) => s.kind === "cni.ports");
  assert.equal(moved && "ports" in moved ? moved.ports : undefined, ["127.0.0.1:9090:80/tcp"]);
});

t("a root's ports are the cell's: moved live, not a cell replacement", () => {
  const before = withPorts([], ["8443:443/tcp"]);
  const desired = withPorts([], ["8444:443/tcp"]);
  const p = plan(desired, applied(before, ["8443:443/tcp"]), options());
  assert.is(p.changes.find((c) => c.address === CELL)?.action, "update");
  assert.equal(p.summary.replace, 0);
});

t("ports the host lost (an interrupted apply) are published again; equal sets in another order are no change", () => {
  const desired = withPorts(["127.0.0.1:8080:80/tcp", "53:53/udp"]);
  const lost = plan(desired, applied(desired, []), options());
  assert.equal(
    lost.drift.map((d) => [d.kind, d.text]),
    [["ports-differ", "published ports on the host are none, kuke recorded 127.0.0.1:8080:80/tcp, 53:53/udp"]],
  );
  const steps = planToSteps(lost, desired, applied(desired, []));
  assert.ok(steps.some((s) => s.kind === "cni.ports"));
  const same = plan(desired, applied(desired, ["53:53/udp", "127.0.0.1:8080:80/tcp"]), options());
  assert.equal(same.drift, []);
  assert.equal(same.summary, { add: 0, change: 0, replace: 0, destroy: 0 });
});

t(
  "a host port a process holds, or another cell publishes, is a plan error naming it; the cell's own ports are not",
  () => {
    const desired = withPorts(["127.0.0.1:8080:80/tcp", "9090:90/tcp", "53:53/udp"]);
    const facts = emptyFacts();
    facts.boundPorts = [
      { protocol: "tcp", address: "0.0.0.0", port: 8080 },
      { protocol: "tcp", address: "127.0.0.2", port: 9090 },
      { protocol: "tcp", address: "::", port: 53 },
    ];
    const p = plan(desired, host(facts), options());
    assert.equal(
      p.errors.map((e) => e.summary),
      [
        "host port 8080/tcp on 127.0.0.1 is taken: a process on the host listens on 0.0.0.0:8080",
        "host port 9090/tcp is taken: a process on the host listens on 127.0.0.2:9090",
      ],
    );
    assert.is(p.errors[0]!.address, CELL);

    const mine = appliedFacts(desired);
    mine.attachments[cellNetns(CELL)]!.ports = ["127.0.0.1:8080:80/tcp", "9090:90/tcp", "53:53/udp"];
    mine.boundPorts = [];
    assert.equal(plan(desired, host(mine), options()).errors, [], "ports the cell publishes already are its own");

    const other = world({
      cells: [
        { name: "api", containers: [{ id: "app", image: "busybox:1" } as ContainerInput] },
        { name: "old", containers: [{ id: "app", image: "busybox:1" } as ContainerInput] },
      ],
    });
    const taken = appliedFacts(other);
    taken.attachments[cellNetns("cell/main/web/app/old")]!.ports = ["9090:90/tcp"];
    taken.boundPorts = [];
    const clash = plan(withPorts(["9090:90/tcp"]), host(taken), options({ prune: false }));
    assert.equal(
      clash.errors.map((e) => e.summary),
      ["host port 9090/tcp is taken: cell/main/web/app/old publishes it"],
    );
  },
);

t.run();
