/**
 * refresh's cgroup check on a v1/hybrid layout, end to end through the planner, on fake
 * hierarchies (temporary directories, so it runs the same on v1 and v2 hosts): a cgroup missing
 * from a single hierarchy is drift, a file named like a cgroup is no cgroup.
 */
import { mkdir, mkdtemp, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { CgroupV1Driver } from "../../src/executors/cgroup/v1.js";
import type { ContainerRecord } from "../../src/executors/containerd/executor.js";
import type { HostFacts } from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import { type RefreshSource, refresh, refreshScopeOf } from "../../src/refresh/refresh.js";
import { onTeardown } from "../harness/teardown.js";
import { appliedFacts, options, world } from "../planner/builders.js";
import { base } from "../planner/scenarios.js";

const t = suite("refresh: cgroups on fake v1 hierarchies");

const HIERARCHIES = [["cpu", "cpuacct"], ["memory"], ["name=systemd"], []];

/** Fake hierarchies with every cgroup of `facts` made in each, like an apply on a hybrid host. */
async function hierarchiesWith(facts: HostFacts): Promise<CgroupV1Driver> {
  const root = await mkdtemp(join(tmpdir(), "kt-cg1-"));
  onTeardown(`fake cgroup hierarchies ${root}`, () => rm(root, { recursive: true, force: true }));
  const hierarchies = HIERARCHIES.map((controllers, i) => ({ mountPoint: join(root, `h${i}`), controllers }));
  for (const h of hierarchies) {
    for (const p of facts.cgroups) await mkdir(join(h.mountPoint, p), { recursive: true });
    await writeFile(join(h.mountPoint, "tasks"), "");
  }
  return new CgroupV1Driver(hierarchies);
}

/** A host that reports `facts`, its cgroups read from `cgroups`. */
function sourceOf(facts: HostFacts, cgroups: CgroupV1Driver): RefreshSource {
  return {
    records: { loadAll: async () => ({ records: Object.values(facts.records) as never, corrupt: [] }) },
    containerd: {
      listContainers: async (ns) =>
        Object.values(facts.namespaces[ns]?.containers ?? {}).map(
          (c): ContainerRecord => ({
            id: c.id,
            labels: c.labels,
            image: c.image,
            specHash: undefined,
            status: c.task.status === "missing" ? "unknown" : c.task.status,
            hasTask: c.task.status !== "missing",
            pid: c.task.pid,
            exitStatus: undefined,
            exitedAt: undefined,
          }),
        ),
      listOrphans: async () => [],
    },
    cgroups,
    inventory: {
      namespaces: async () => Object.keys(facts.namespaces),
      networks: async () => facts.networks,
      pinnedNetns: async () => facts.netnsPinned,
      attachments: async () => facts.attachments,
      egressChains: async () => facts.egressChains,
      boundPorts: async () => [],
      restartMonitor: async () => ({ loaded: true, capabilities: [] }),
      close() {},
    },
  };
}

t("every cgroup in every hierarchy: no drift, nothing to change", async () => {
  const desired = world(base());
  const facts = appliedFacts(desired);
  const driver = await hierarchiesWith(facts);
  const actual = await refresh(sourceOf(facts, driver), refreshScopeOf(desired));
  assert.equal(actual.cgroups, [...facts.cgroups].sort());
  const p = plan(desired, actual, options());
  assert.equal(p.drift, []);
  assert.equal(
    p.changes.filter((c) => c.action !== "noop"),
    [],
  );
});

t("a container's cgroup gone from one hierarchy only is drift, repaired in place", async () => {
  const desired = world(base());
  const facts = appliedFacts(desired);
  const driver = await hierarchiesWith(facts);
  const gone = "/kukeon/main/web/app/api/app";
  assert.ok(facts.cgroups.includes(gone));
  await rmdir(join(driver.hierarchies[1]!.mountPoint, gone));
  const actual = await refresh(sourceOf(facts, driver), refreshScopeOf(desired));
  assert.not.ok(actual.cgroups.includes(gone));
  assert.is(actual.cgroups.length, facts.cgroups.length - 1, "only that one is missing");
  const p = plan(desired, actual, options());
  assert.equal(p.drift, [
    { address: "container/main/web/app/api/app", kind: "cgroup-missing", text: "cgroup missing" },
  ]);
  assert.equal(
    p.changes.filter((c) => c.action !== "noop").map((c) => [c.address, c.action]),
    [["container/main/web/app/api/app", "update"]],
  );
});

t("a stack gone from one hierarchy takes its cells and containers along; a file is no cgroup", async () => {
  const desired = world(base());
  const facts = appliedFacts(desired);
  const driver = await hierarchiesWith(facts);
  await rm(join(driver.hierarchies[3]!.mountPoint, "/kukeon/main/web/app"), { recursive: true });
  // A file where a cgroup would be (v1 cgroup directories hold files such as `tasks`).
  await writeFile(join(driver.hierarchies[3]!.mountPoint, "/kukeon/main/web/app"), "");
  const actual = await refresh(sourceOf(facts, driver), refreshScopeOf(desired));
  assert.equal(actual.cgroups, ["/kukeon/main", "/kukeon/main/web"]);
  const tasks = await driver.existing(["/tasks", "/kukeon/main/web/tasks"]);
  assert.equal([...tasks], [], "interface files are not cgroups");
});

t.run();
