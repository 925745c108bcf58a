import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ContainerRecord } from "../../src/executors/containerd/executor.js";
import { containerLabels, KukeError, parseAddress, type ResourceRecord } from "../../src/model/index.js";
import type { HostInventory } from "../../src/refresh/host-inventory.js";
import { type RefreshSource, refresh } from "../../src/refresh/refresh.js";

const t = suite("refresh (fake host)");

const rec = (address: string, extra: ResourceRecord["extra"] = {}): ResourceRecord & { appliedAt: string } => ({
  address,
  kind: parseAddress(address).kind,
  project: "p",
  view: { labels: {}, spec: address.startsWith("realm/") ? { namespace: "r.ns" } : {} },
  specHash: "h",
  extra,
  appliedAt: "2026-01-01T00:00:00Z",
});

function source(over: {
  namespaces: string[];
  managed: Record<string, ContainerRecord[]>;
  /** Containers kuke did not make (listed only when refresh asks for every container). */
  foreign?: Record<string, { id: string; labels: Record<string, string>; image: string }[]>;
  records: ReturnType<typeof rec>[];
  cgroups?: string[];
}): RefreshSource & { listed: string[]; probed: string[] } {
  const listed: string[] = [];
  const probed: string[] = [];
  const inventory: HostInventory = {
    namespaces: async () => over.namespaces,
    networks: async () => ({ kuke_r_s: { conflistPresent: true, subnet: "10.88.4.0/24" } }),
    pinnedNetns: async () => ["r_s_t_c"],
    attachments: async () => ({ r_s_t_c: { ip: "10.88.4.2", gateway: "10.88.4.1" } }),
    egressChains: async () => {
      listed.push("iptables");
      return [];
    },
    boundPorts: async () => {
      listed.push("sockets");
      return [];
    },
    restartMonitor: async () => {
      listed.push("monitor");
      return { loaded: true, capabilities: ["always"] };
    },
    close() {},
  };
  return {
    listed,
    probed,
    records: {
      loadAll: async () => ({
        records: over.records,
        corrupt: [{ file: "/x/bad.json", error: new KukeError("failed-precondition", "corrupt record /x/bad.json") }],
      }),
    },
    containerd: {
      listContainers: async (ns, opts) => {
        listed.push(ns);
        const foreign = (over.foreign?.[ns] ?? []).map(
          (c): ContainerRecord => ({
            ...c,
            specHash: undefined,
            status: "stopped",
            hasTask: false,
            pid: undefined,
            exitStatus: undefined,
            exitedAt: undefined,
          }),
        );
        return [...(over.managed[ns] ?? []), ...(opts?.all ? foreign : [])];
      },
      listOrphans: async () => [],
    },
    cgroups: {
      existing: async (paths) => {
        probed.push(...paths);
        return new Set(paths.filter((p) => (over.cgroups ?? []).includes(p)));
      },
    },
    inventory,
  };
}

const managed = (
  id: string,
  status: ContainerRecord["status"],
  hasTask: boolean,
  extra: Partial<ContainerRecord> = {},
): ContainerRecord => ({
  id,
  labels: containerLabels(parseAddress(`container/r/s/t/c/${id.split("_").at(-1)}`) as never, "workload", "h"),
  image: "busybox",
  specHash: "h",
  status,
  hasTask,
  pid: undefined,
  exitStatus: undefined,
  exitedAt: undefined,
  ...extra,
});

t("task states, exit codes, unmanaged ids, corrupt records and cgroups reach the actual state", async () => {
  const src = source({
    namespaces: ["r.ns", "other"],
    managed: {
      "r.ns": [
        managed("s_t_c_run", "running", true, { pid: 42 }),
        managed("s_t_c_dead", "stopped", true, { exitStatus: 137 }),
        managed("s_t_c_notask", "stopped", false),
      ],
    },
    foreign: { "r.ns": [{ id: "s_t_c_foreign", labels: { owner: "someone" }, image: "nginx" }] },
    records: [
      rec("realm/r", { namespace: "r.ns" }),
      rec("cell/r/s/t/c"),
      rec("container/r/s/t/c/run"),
      rec("container/r/s/t/c/dead"),
      rec("container/r/s/t/c/notask"),
      rec("container/r/s/t/c/gone"),
    ],
    cgroups: ["/kukeon/r", "/kukeon/r/s/t/c/run"],
  });
  const warnings: KukeError[] = [];
  const actual = await refresh(src, { namespaces: ["r.ns", "missing.ns"], onWarning: (w) => warnings.push(w) });

  assert.equal(
    warnings.map((w) => w.message),
    ["corrupt record /x/bad.json"],
  );
  assert.equal(Object.keys(actual.namespaces), ["r.ns"], "missing namespaces are absent, unwanted ones not listed");
  // The scope's namespaces are listed before containerd says which exist (the listing of one that
  // does not is dropped); a namespace neither desired nor recorded is never listed.
  assert.equal(src.listed.filter((x) => x !== "iptables" && x !== "monitor").sort(), ["missing.ns", "r.ns"]);
  const c = (k: string) => actual.resources[`container/r/s/t/c/${k}`]?.container;
  assert.equal(c("run")?.task, { status: "running", pid: 42 });
  assert.equal(c("dead")?.task, { status: "stopped", exitCode: 137 });
  assert.equal(c("notask")?.task, { status: "missing" });
  assert.is(c("gone"), null);
  assert.equal(actual.namespaces["r.ns"]!.containers.s_t_c_foreign, {
    id: "s_t_c_foreign",
    labels: { owner: "someone" },
    image: "nginx",
    task: { status: "missing" },
  });
  assert.ok(actual.resources["realm/r"]?.namespacePresent);
  assert.ok(actual.resources["container/r/s/t/c/run"]?.cgroupPresent);
  assert.not.ok(actual.resources["container/r/s/t/c/dead"]?.cgroupPresent);
  assert.equal(actual.resources["cell/r/s/t/c"]?.netns, {
    name: "r_s_t_c",
    pinned: true,
    attachment: { ip: "10.88.4.2", gateway: "10.88.4.1" },
  });
  assert.equal(src.listed.includes("iptables"), false, "no space recorded: no iptables listing");
  assert.equal(
    Object.keys(actual.labeled).sort(),
    ["container/r/s/t/c/dead", "container/r/s/t/c/notask", "container/r/s/t/c/run"],
    "kuke's containers are indexed by the address their labels name; the foreign one is not",
  );
  assert.equal(new Set(src.probed).size, src.probed.length, "each cgroup is checked once");
});

t("iptables is listed only when a recorded space has an egress policy", async () => {
  const space = (egress: boolean) => {
    const r = rec("space/r/s");
    r.view.spec = egress ? { network: { egress: { default: "deny", allow: [] } } } : { network: {} };
    return r;
  };
  for (const egress of [false, true]) {
    const src = source({ namespaces: [], managed: {}, records: [space(egress)] });
    await refresh(src, { namespaces: [] });
    assert.is(src.listed.includes("iptables"), egress, `egress recorded: ${egress}`);
  }
});

t("the restart monitor is asked only when a container has a restart policy or is in its hands", async () => {
  const policy = (p: string) => {
    const r = rec("container/r/s/t/c/run");
    r.view.spec = { restartPolicy: p };
    return r;
  };
  const held = managed("s_t_c_run", "stopped", true);
  held.labels = { ...held.labels, "containerd.io/restart.status": "running" };
  const cases: [string, Parameters<typeof source>[0], boolean, boolean][] = [
    ["nothing", { namespaces: ["r.ns"], managed: { "r.ns": [] }, records: [policy("no")] }, false, false],
    ["desired", { namespaces: ["r.ns"], managed: { "r.ns": [] }, records: [] }, true, true],
    ["recorded", { namespaces: ["r.ns"], managed: { "r.ns": [] }, records: [policy("always")] }, false, true],
    ["listed", { namespaces: ["r.ns"], managed: { "r.ns": [held] }, records: [] }, false, true],
  ];
  for (const [what, over, restarts, asked] of cases) {
    const src = source(over);
    const actual = await refresh(src, { namespaces: ["r.ns"], restarts });
    assert.is(src.listed.includes("monitor"), asked, what);
    assert.equal(actual.restartMonitor, asked ? { loaded: true, capabilities: ["always"] } : undefined, what);
  }
});

t("a recorded realm's namespace is listed even when no desired realm names it", async () => {
  const src = source({
    namespaces: ["r.ns"],
    managed: { "r.ns": [] },
    records: [rec("realm/r", { namespace: "r.ns" })],
  });
  const actual = await refresh(src, { namespaces: [] });
  assert.equal(Object.keys(actual.namespaces), ["r.ns"]);
});

t(
  "containerd's calls go out before the records are read; the cgroups of the scope and the records are checked after, at once",
  async () => {
    const src = source({
      namespaces: ["r.ns"],
      managed: { "r.ns": [managed("s_t_c_run", "running", true, { pid: 42 })] },
      records: [rec("realm/r", { namespace: "r.ns" }), rec("container/r/s/t/c/run"), rec("container/r/s/t/c/old")],
      cgroups: ["/kukeon/r", "/kukeon/r/s/t/c/run", "/kukeon/r/s/t/c/old"],
    });
    const order: string[] = [];
    const namespaces = src.inventory.namespaces;
    src.inventory.namespaces = async () => {
      order.push("namespaces asked");
      const names = await namespaces();
      order.push("namespaces answered");
      return names;
    };
    const list = src.containerd.listContainers;
    src.containerd.listContainers = (ns, opts) => {
      order.push(`list ${ns}`);
      return list(ns, opts);
    };
    const load = src.records.loadAll;
    src.records.loadAll = () => {
      order.push("records");
      return load();
    };
    const existing = src.cgroups.existing;
    src.cgroups.existing = (paths) => {
      order.push(`cgroups ${[...paths].join(",")}`);
      return existing(paths);
    };
    const actual = await refresh(src, { namespaces: ["r.ns"], cgroupPaths: ["/kukeon/r", "/kukeon/r/s/t/c/run"] });
    assert.equal(order, [
      "namespaces asked",
      "list r.ns",
      "namespaces answered",
      "records",
      "cgroups /kukeon/r,/kukeon/r/s/t/c/run,/kukeon/r/s/t/c/old",
    ]);
    assert.equal(actual.resources["container/r/s/t/c/run"]?.container?.task, { status: "running", pid: 42 });
    assert.ok(actual.resources["container/r/s/t/c/old"]?.cgroupPresent, "a recorded cgroup outside the scope");
    assert.ok(actual.resources["container/r/s/t/c/run"]?.cgroupPresent);
  },
);

t.run();
