/**
 * Each ordering rule on its own: a small list of emitted steps in, exactly the edges the rule
 * adds out. And each rule is needed: with it left out of the list, some of those edges are no
 * longer implied by the others.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  type EmittedStep,
  indexSteps,
  type Phase,
  type UnorderedStep,
} from "../../src/planner/ordering/emitted-step.js";
import { ORDERING_RULES, orderSteps } from "../../src/planner/ordering/order-steps.js";
import type { Step, StepKind } from "../../src/planner/step-types.js";

const REALM = "realm/r";
const SPACE = "space/r/s";
const STACK = "stack/r/s/t";
const CELL = "cell/r/s/t/c";
const ROOT = "container/r/s/t/c/root";
const W = "container/r/s/t/c/w";
const OTHER_CELL = "cell/r/s/t/d";
const X = "container/r/s/t/d/x";

interface Extra {
  role?: "root" | "workload";
  /** Default: the cell for container steps of teardown and build, else the address. */
  resource?: string;
  image?: string;
}

const roleOf = (address: string) => (address.endsWith("/root") ? "root" : "workload");

function step(phase: Phase, kind: StepKind, address: string, extra: Extra = {}): EmittedStep {
  const isContainer = address.startsWith("container/");
  const id = kind === "image.ensure" ? `image.ensure:${address}:${extra.image}` : `${kind}:${address}`;
  const payload =
    kind === "image.ensure"
      ? { image: extra.image }
      : kind === "container.create"
        ? { spec: { image: extra.image ?? "busybox:1" } }
        : {};
  const cell = address
    .split("/")
    .slice(0, -1)
    .join("/")
    .replace(/^container\//, "cell/");
  return {
    step: { id, kind, address, ...payload } as unknown as UnorderedStep,
    phase,
    resource: extra.resource ?? (isContainer && phase !== "task" ? cell : address),
    ...(isContainer ? { role: extra.role ?? roleOf(address) } : {}),
  };
}
const down = (kind: StepKind, address: string, extra?: Extra) => step("teardown", kind, address, extra);
const up = (kind: StepKind, address: string, extra?: Extra) => step("build", kind, address, extra);
const op = (kind: StepKind, address: string, extra?: Extra) => step("task", kind, address, extra);

/** A step with more of its payload (namespaces and ids the rule compares). */
const withPayload = (e: EmittedStep, payload: Record<string, string>): EmittedStep => ({
  ...e,
  step: { ...e.step, ...payload } as UnorderedStep,
});
const orphan = (object: "snapshot" | "lease", address: string, id: string): EmittedStep => ({
  step: {
    id: `orphan.remove:${object}:ns:${id}`,
    kind: "orphan.remove",
    address,
    namespace: "ns",
    object,
    orphanId: id,
  },
  phase: "teardown",
  resource: address,
});

interface Case {
  steps: EmittedStep[];
  /** `before -> after`, by step id. */
  edges: string[];
}

const CASES: Record<keyof typeof ORDERING_RULES, Case> = {
  childrenTornDownFirst: {
    steps: [
      down("task.stop", W),
      down("cgroup.remove", CELL),
      // A container torn down alone (its cell stays) is its cell's business, not the stack's.
      down("task.stop", X, { resource: X }),
      down("cgroup.remove", STACK),
      down("cgroup.remove", SPACE),
    ],
    edges: [
      `cgroup.remove:${CELL} -> cgroup.remove:${STACK}`,
      `task.stop:${W} -> cgroup.remove:${STACK}`,
      `cgroup.remove:${STACK} -> cgroup.remove:${SPACE}`,
    ],
  },
  workloadTasksStopBeforeRoot: {
    steps: [
      down("task.stop", W),
      down("task.stop", ROOT),
      down("task.stop", X),
      op("task.kill", "container/r/s/t/e/w"),
      op("task.kill", "container/r/s/t/e/root"),
    ],
    edges: [`task.stop:${W} -> task.stop:${ROOT}`, "task.kill:container/r/s/t/e/w -> task.kill:container/r/s/t/e/root"],
  },
  detachAfterWorkloadsStop: {
    steps: [down("task.stop", W), down("task.stop", ROOT), down("cni.detach", CELL)],
    edges: [`task.stop:${W} -> cni.detach:${CELL}`],
  },
  unpinAfterDetach: {
    steps: [down("cni.detach", CELL), down("netns.unpin", CELL), down("netns.unpin", OTHER_CELL)],
    edges: [`cni.detach:${CELL} -> netns.unpin:${CELL}`],
  },
  containerDeletedAfterItsTask: {
    steps: [down("task.stop", W), down("container.delete", W), down("container.delete", ROOT)],
    edges: [`task.stop:${W} -> container.delete:${W}`],
  },
  cellContainersDeletedAfterRootStops: {
    steps: [
      down("task.stop", ROOT),
      down("container.delete", W),
      down("container.delete", ROOT),
      down("container.delete", X),
    ],
    edges: [`task.stop:${ROOT} -> container.delete:${W}`, `task.stop:${ROOT} -> container.delete:${ROOT}`],
  },
  containerCgroupAfterContainer: {
    steps: [down("container.delete", W), down("cgroup.remove", W), down("cgroup.remove", CELL)],
    edges: [`container.delete:${W} -> cgroup.remove:${W}`],
  },
  cellCgroupAfterContainerCgroups: {
    steps: [
      down("cgroup.remove", W),
      down("cgroup.remove", ROOT),
      down("cgroup.remove", CELL),
      down("cgroup.remove", X),
    ],
    edges: [`cgroup.remove:${W} -> cgroup.remove:${CELL}`, `cgroup.remove:${ROOT} -> cgroup.remove:${CELL}`],
  },
  egressRemovedBeforeNetwork: {
    steps: [down("egress.remove", SPACE), down("network.remove", SPACE)],
    edges: [`egress.remove:${SPACE} -> network.remove:${SPACE}`],
  },
  recordDeletedLast: {
    steps: [
      down("egress.remove", SPACE),
      down("network.remove", SPACE),
      down("record.delete", SPACE),
      down("cni.detach", CELL),
      down("netns.unpin", CELL),
      down("cgroup.remove", CELL),
      down("record.delete", CELL),
    ],
    edges: [
      `egress.remove:${SPACE} -> record.delete:${SPACE}`,
      `network.remove:${SPACE} -> record.delete:${SPACE}`,
      `cgroup.remove:${CELL} -> record.delete:${CELL}`,
    ],
  },
  orphansRemovedFirst: {
    steps: [
      orphan("snapshot", W, "s_t_c_w"),
      orphan("lease", REALM, "kuke-1"),
      withPayload(up("container.create", W), { namespace: "ns", containerdId: "s_t_c_w" }),
      // Another container, and the same id in another namespace, do not wait.
      withPayload(up("container.create", X), { namespace: "ns", containerdId: "s_t_d_x" }),
      withPayload(up("container.create", ROOT), { namespace: "other", containerdId: "s_t_c_w" }),
      withPayload(down("namespace.delete", REALM), { namespace: "ns" }),
    ],
    edges: [
      `orphan.remove:snapshot:ns:s_t_c_w -> container.create:${W}`,
      `orphan.remove:snapshot:ns:s_t_c_w -> namespace.delete:${REALM}`,
      `orphan.remove:lease:ns:kuke-1 -> namespace.delete:${REALM}`,
    ],
  },
  replacedTornDownFirst: {
    steps: [
      down("task.stop", ROOT),
      down("cni.detach", CELL),
      up("cgroup.ensure", CELL),
      up("container.create", ROOT),
      // A new cell next to it does not wait for the old one.
      up("cgroup.ensure", OTHER_CELL),
    ],
    edges: [`task.stop:${ROOT} -> cgroup.ensure:${CELL}`, `cni.detach:${CELL} -> cgroup.ensure:${CELL}`],
  },
  parentsBeforeChildren: {
    steps: [
      up("namespace.ensure", REALM),
      up("record.write", REALM),
      up("network.ensure", SPACE),
      up("cgroup.ensure", SPACE),
      up("cgroup.ensure", STACK),
      up("record.write", STACK),
    ],
    // The stack's cgroup waits for the space's cgroup, not for its network: only CNI attach uses that.
    edges: [
      `namespace.ensure:${REALM} -> network.ensure:${SPACE}`,
      `namespace.ensure:${REALM} -> cgroup.ensure:${SPACE}`,
      `cgroup.ensure:${SPACE} -> cgroup.ensure:${STACK}`,
      `network.ensure:${SPACE} -> record.write:${STACK}`,
      `cgroup.ensure:${SPACE} -> record.write:${STACK}`,
    ],
  },
  imagesAfterRealm: {
    steps: [
      up("namespace.ensure", REALM),
      up("cgroup.ensure", REALM),
      up("image.ensure", REALM, { image: "busybox:1" }),
    ],
    edges: [
      `namespace.ensure:${REALM} -> image.ensure:${REALM}:busybox:1`,
      `cgroup.ensure:${REALM} -> image.ensure:${REALM}:busybox:1`,
    ],
  },
  egressAfterNetwork: {
    steps: [up("network.ensure", SPACE), up("egress.apply", SPACE), up("egress.remove", "space/r/other")],
    edges: [`network.ensure:${SPACE} -> egress.apply:${SPACE}`],
  },
  containerAfterImage: {
    steps: [
      up("image.ensure", REALM, { image: "busybox:1" }),
      up("image.ensure", REALM, { image: "pause:1" }),
      up("container.create", W, { image: "busybox:1" }),
    ],
    edges: [`image.ensure:${REALM}:busybox:1 -> container.create:${W}`],
  },
  taskAfterContainer: {
    steps: [up("container.create", W), up("task.start", W), up("task.start", ROOT)],
    edges: [`container.create:${W} -> task.start:${W}`],
  },
  workloadsJoinRunningRoot: {
    steps: [up("task.start", ROOT), up("container.create", ROOT), up("container.create", W), up("container.create", X)],
    edges: [`task.start:${ROOT} -> container.create:${W}`],
  },
  pinAfterRootTask: {
    steps: [up("task.start", ROOT), up("task.start", W), up("netns.pin", CELL)],
    edges: [`task.start:${ROOT} -> netns.pin:${CELL}`],
  },
  attachAfterPin: {
    steps: [up("netns.pin", CELL), up("cni.attach", CELL)],
    edges: [`netns.pin:${CELL} -> cni.attach:${CELL}`],
  },
  attachAfterSpace: {
    steps: [up("network.ensure", SPACE), up("egress.apply", SPACE), up("cni.attach", CELL)],
    edges: [`network.ensure:${SPACE} -> cni.attach:${CELL}`, `egress.apply:${SPACE} -> cni.attach:${CELL}`],
  },
  workloadTasksAfterAttach: {
    steps: [up("cni.attach", CELL), up("task.start", W), up("task.start", ROOT)],
    edges: [`cni.attach:${CELL} -> task.start:${W}`],
  },
  restartAfterSpecUpdate: {
    steps: [up("container.update", W), up("task.stop", W)],
    edges: [`container.update:${W} -> task.stop:${W}`],
  },
  restartStartsAfterStop: {
    steps: [up("task.stop", W), up("task.start", W)],
    edges: [`task.stop:${W} -> task.start:${W}`],
  },
  cgroupEnsuredBeforeUse: {
    steps: [
      up("cgroup.ensure", W),
      up("cgroup.update", W),
      op("cgroup.ensure", X),
      op("task.start", X),
      // A cell's cgroup is its containers' parent, not theirs.
      up("cgroup.ensure", CELL),
    ],
    edges: [`cgroup.ensure:${W} -> cgroup.update:${W}`, `cgroup.ensure:${X} -> task.start:${X}`],
  },
  recordWrittenOnceItExists: {
    steps: [
      up("namespace.ensure", REALM),
      up("image.ensure", REALM, { image: "busybox:1" }),
      up("record.write", REALM),
      up("cgroup.ensure", CELL),
      up("container.create", ROOT),
      up("task.start", ROOT),
      up("netns.pin", CELL),
      up("cni.attach", CELL),
      up("container.create", W),
      up("task.start", W),
      up("record.write", W),
      up("record.write", CELL),
    ],
    edges: [
      `namespace.ensure:${REALM} -> record.write:${REALM}`,
      `container.create:${W} -> record.write:${W}`,
      `cgroup.ensure:${CELL} -> record.write:${CELL}`,
      `netns.pin:${CELL} -> record.write:${CELL}`,
      `cni.attach:${CELL} -> record.write:${CELL}`,
      `task.start:${ROOT} -> record.write:${CELL}`,
    ],
  },
  runStateAfterRecord: {
    steps: [up("record.write", W), up("record.run-state", W)],
    edges: [`record.write:${W} -> record.run-state:${W}`],
  },
  runStateAfterTaskOps: {
    steps: [op("task.stop", W), op("task.stop", ROOT), op("record.run-state", W), op("record.run-state", CELL)],
    edges: [
      `task.stop:${W} -> record.run-state:${W}`,
      `task.stop:${ROOT} -> record.run-state:${W}`,
      `task.stop:${W} -> record.run-state:${CELL}`,
      `task.stop:${ROOT} -> record.run-state:${CELL}`,
    ],
  },
};

/** `before -> after` for every pair where `after` (transitively) waits for `before`. */
function implied(steps: Step[]): Set<string> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const out = new Set<string>();
  for (const s of steps) {
    const stack = [...s.dependsOn];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (seen.has(d)) continue;
      seen.add(d);
      out.add(`${d} -> ${s.id}`);
      stack.push(...byId.get(d)!.dependsOn);
    }
  }
  return out;
}

const t = suite("planner/ordering");

for (const [name, rule] of Object.entries(ORDERING_RULES)) {
  t(`${name}: adds exactly its edges`, () => {
    const c = CASES[name];
    assert.ok(c, `no test case for rule ${name}`);
    const got = [...new Set(rule(indexSteps(c.steps)).map(([a, b]) => `${a} -> ${b}`))].sort();
    assert.equal(got, [...c.edges].sort());
  });

  t(`${name}: no other rule implies its edges`, () => {
    const c = CASES[name]!;
    const others = Object.fromEntries(Object.entries(ORDERING_RULES).filter(([n]) => n !== name));
    const without = implied(orderSteps(c.steps, others));
    const withAll = implied(orderSteps(c.steps));
    for (const e of c.edges) assert.ok(withAll.has(e), `${e} with every rule`);
    assert.ok(
      c.edges.some((e) => !without.has(e)),
      `every edge of ${name} also follows from the other rules: ${c.edges.join(", ")}`,
    );
  });
}

t("every test case names a rule of the list", () => {
  assert.equal(Object.keys(CASES).sort(), Object.keys(ORDERING_RULES).sort());
});

t("orderSteps keeps emission order and fills sorted dependsOn without repeats", () => {
  const steps = [
    up("task.start", ROOT),
    up("container.create", W),
    up("container.create", ROOT),
    up("cgroup.ensure", CELL),
  ];
  const out = orderSteps(steps, {
    twice: () => [
      [`task.start:${ROOT}`, `container.create:${W}`],
      [`cgroup.ensure:${CELL}`, `container.create:${W}`],
      [`task.start:${ROOT}`, `container.create:${W}`],
    ],
  });
  assert.equal(
    out.map((s) => s.id),
    steps.map((s) => s.step.id),
  );
  assert.equal(out[1]!.dependsOn, [`cgroup.ensure:${CELL}`, `task.start:${ROOT}`]);
  assert.equal(out[0]!.dependsOn, []);
  assert.equal(JSON.parse(JSON.stringify(out)), out);
  // The emitted steps themselves are left alone.
  assert.not.ok("dependsOn" in steps[1]!.step);
});

t("the planner README lists every rule, in order", () => {
  const readme = readFileSync(fileURLToPath(new URL("../../../src/planner/README.md", import.meta.url)), "utf8");
  const listed = [...readme.matchAll(/^\| `(\w+)` +\|/gm)].map((m) => m[1]).filter((n) => n! in ORDERING_RULES);
  assert.equal(listed, Object.keys(ORDERING_RULES));
});

t.run();
