import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { CgroupControllerFacts, CniPluginFacts, ContainerInput, HostFacts } from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import type { Plan } from "../../src/planner/types.js";
import { appliedFacts, emptyFacts, host, options, world } from "./builders.js";

const ALL = { loopback: true, bridge: true, "host-local": true, portmap: true };
const plugins = (missing: string[]): CniPluginFacts => ({
  dirs: ["/tmp/fake-cni"],
  present: Object.fromEntries(Object.entries(ALL).map(([k]) => [k, !missing.includes(k)])),
});
const controllers = (available: string[], version: "v1" | "v2" = "v2"): CgroupControllerFacts => ({
  version,
  available,
});

const web = (over: Partial<ContainerInput> = {}): ContainerInput => ({ id: "app", image: "busybox:1", ...over });
const stack = (app: Partial<ContainerInput> = {}) => world({ cells: [{ name: "api", containers: [web(app)] }] });

function planWith(facts: HostFacts, desired = stack(), destroy = false): Plan {
  return plan(desired, host(facts), options({ destroy }));
}
const messages = (p: Plan) => p.errors.filter((e) => e.severity === "error").map((e) => `${e.address}: ${e.summary}`);

const t = suite("planner/host-support");

t("a missing portmap fails a plan that publishes ports, naming the plugin, dirs and the cell", () => {
  const facts = { ...emptyFacts(), cniPlugins: plugins(["portmap"]) };
  const p = planWith(facts, stack({ ports: ["127.0.0.1:8080:80"] }));
  assert.equal(messages(p), [
    "cell/main/web/app/api: CNI plugin 'portmap' is not installed, and this plan runs it (published ports)",
  ]);
  assert.match(p.errors[0]!.detail ?? "", "searched: /tmp/fake-cni");
  assert.match(p.errors[0]!.remedy ?? "", "containernetworking-plugins");
  // Without ports, portmap is not needed.
  assert.equal(messages(planWith(facts)), []);
});

t("a missing bridge fails a plan that builds a network; a plan with nothing to attach does not need it", () => {
  const missing = { cniPlugins: plugins(["bridge"]) };
  const p = planWith({ ...emptyFacts(), ...missing });
  assert.equal(messages(p), ["space/main/web: CNI plugin 'bridge' is not installed, and this plan runs it"]);
  assert.match(p.errors[0]!.detail ?? "", "needed by: space/main/web, cell/main/web/app/api");
  const applied = { ...appliedFacts(stack()), ...missing };
  assert.equal(messages(planWith(applied)), [], "no change, no plugin run");
  // Tearing an attached cell down runs the plugins' DEL.
  assert.equal(messages(planWith(applied, stack(), true)).length, 1);
  // A host-network cell needs no attachment.
  const hostNet = world({ cells: [{ name: "api", containers: [web({ hostNetwork: true, root: true })] }] });
  hostNet.spaces = [];
  const noSpace = { ...appliedFacts(world({ cells: [] })), ...missing };
  assert.equal(
    messages(plan(hostNet, host(noSpace), options())).filter((m) => m.includes("CNI")),
    [],
  );
});

t("moving or removing a cell's published ports runs portmap", () => {
  const facts = { ...appliedFacts(stack({ ports: ["8080:80"] })), cniPlugins: plugins(["portmap"]) };
  assert.equal(messages(planWith(facts, stack({ ports: ["8081:80"] }))).length, 1);
  assert.equal(messages(planWith(facts, stack())).length, 1);
  assert.equal(messages(planWith(facts, stack({ ports: ["8080:80"] }))), []);
});

t("a limit needs its cgroup controller: pids missing fails a pidsLimit, with a remedy per cgroup version", () => {
  const v2 = { ...emptyFacts(), cgroupControllers: controllers(["cpu", "memory"]) };
  const p = planWith(v2, stack({ resources: { pidsLimit: 64, memoryLimitBytes: 1 << 26 } }));
  assert.equal(messages(p), [
    "container/main/web/app/api/app: cgroup controller 'pids' is not available on this host (cgroup v2), and spec.resources.pidsLimit needs it",
  ]);
  assert.match(p.errors[0]!.detail ?? "", "available: cpu, memory");
  assert.match(p.errors[0]!.remedy ?? "", "cgroup.controllers");
  const v1 = { ...emptyFacts(), cgroupControllers: controllers(["memory"], "v1") };
  const q = planWith(v1, stack({ resources: { cpuShares: 512 } }));
  assert.equal(messages(q).length, 1);
  assert.match(q.errors[0]!.summary, "'cpu' is not available on this host (cgroup v1), and spec.resources.cpuShares");
  assert.match(q.errors[0]!.remedy ?? "", "mount -t cgroup -o cpu");
  assert.equal(messages(planWith(v2, stack({ resources: { memoryLimitBytes: 1 << 26 } }))), []);
});

t("a limit already applied and unchanged is not checked again; a changed one is", () => {
  const d = stack({ resources: { pidsLimit: 64 } });
  const facts = { ...appliedFacts(d), cgroupControllers: controllers(["cpu", "memory"]) };
  assert.equal(messages(planWith(facts, d)), []);
  assert.equal(messages(planWith(facts, stack({ resources: { pidsLimit: 65 } }))).length, 1);
});

t("without facts (no refresh, imperative verbs) nothing is checked", () => {
  assert.equal(messages(planWith(emptyFacts(), stack({ ports: ["8080:80"], resources: { pidsLimit: 1 } }))), []);
});

t.run();
