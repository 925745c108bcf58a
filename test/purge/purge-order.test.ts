import { suite } from "uvu";
import * as assert from "uvu/assert";
import { cellAddress, formatAddress, KukeError } from "../../src/model/index.js";
import { cellOfNetns } from "../../src/purge/discover.js";
import { purge } from "../../src/purge/purge.js";
import type { Discovery, PurgeDeps } from "../../src/purge/types.js";

const t = suite("purge/purge order and failures");

/** Records every host call in order; `fail` names calls that throw. */
class FakeHost {
  calls: string[] = [];
  constructor(private readonly fail: Record<string, KukeError | Error> = {}) {}
  private call(name: string): Promise<void> {
    this.calls.push(name);
    const e = this.fail[name];
    return e ? Promise.reject(e) : Promise.resolve();
  }
  deps(): PurgeDeps {
    const containerd = {
      listContainers: async () => [],
      stopTask: (_ns: string, id: string) => this.call(`stopTask ${id}`).then(() => undefined),
      deleteContainer: (_ns: string, id: string) => this.call(`deleteContainer ${id}`),
      deleteNamespace: (ns: string) => this.call(`deleteNamespace ${ns}`),
    };
    const network = {
      detach: (c: { cell: string }) => this.call(`detach ${c.cell}`),
      unpin: (c: { cell: string }) => this.call(`unpin ${c.cell}`),
      removeSpaceNetwork: (_r: string, s: string) => this.call(`removeSpaceNetwork ${s}`),
    } as unknown as PurgeDeps["network"];
    const cgroups = { remove: (path: string) => this.call(`cgroups.remove ${path}`) };
    return { containerd, network, cgroups };
  }
}

function found(scope: string): Discovery {
  return {
    scope,
    namespace: "r.kukeon.io",
    containers: [
      { id: "s_t_a_root", address: "container/r/s/t/a/root", hasTask: true, status: "running" },
      { id: "s_t_a_app", address: "container/r/s/t/a/app", hasTask: false, status: "stopped" },
    ],
    cells: [{ address: "cell/r/s/t/a", netns: "r_s_t_a", pin: "/run/x/netns/r_s_t_a", attachment: "/f.json" }],
    spaces: [{ realm: "r", space: "s", network: "kuke_r_s", bridge: "k-1", ipamFiles: [] }],
    cgroup: { path: "/kukeon/r", dirs: ["/nonexistent/kukeon/r"] },
    logs: [],
    secrets: [],
  };
}

t("removes in dependency order: tasks, containers, CNI, pins, network, cgroups, namespace", async () => {
  const host = new FakeHost();
  const report = await purge(found("realm/r"), host.deps());
  assert.equal(host.calls, [
    "stopTask s_t_a_root",
    "deleteContainer s_t_a_root",
    "deleteContainer s_t_a_app",
    "detach a",
    "unpin a",
    "removeSpaceNetwork s",
    "cgroups.remove /kukeon/r",
    "deleteNamespace r.kukeon.io",
  ]);
  assert.is(report.failed, 0);
  assert.is(report.removed, 7);
});

t("a failure is reported and the rest still runs", async () => {
  const host = new FakeHost({
    "deleteContainer s_t_a_root": new KukeError("unavailable", "containerd is not answering"),
    "removeSpaceNetwork s": new KukeError("busy", "network kuke_r_s still has 1 attached cell(s)"),
    "deleteNamespace r.kukeon.io": new KukeError("failed-precondition", "namespace not empty"),
  });
  const report = await purge(found("realm/r"), host.deps());
  assert.is(report.failed, 2);
  assert.equal(
    report.items.map((i) => [i.kind, i.outcome]),
    [
      ["container", "failed"],
      ["container", "removed"],
      ["cni-attachment", "removed"],
      ["netns-pin", "removed"],
      ["network", "failed"],
      ["cgroup", "removed"],
      ["namespace", "kept"],
    ],
  );
  assert.is(report.items[0]!.detail, "containerd is not answering");
  assert.ok(host.calls.includes("cgroups.remove /kukeon/r"));
});

t("a bare Error is reported as a bug, not swallowed silently", async () => {
  const host = new FakeHost({ "detach a": new Error("boom") });
  const report = await purge(found("cell/r/s/t/a"), host.deps());
  const item = report.items.find((i) => i.kind === "cni-attachment")!;
  assert.is(item.outcome, "failed");
  assert.match(item.detail ?? "", "this is a bug");
  assert.not.ok(
    host.calls.some((c) => c.startsWith("deleteNamespace")),
    "only a realm purge touches the namespace",
  );
});

t("netns names map back to cells; anything else is ignored", () => {
  assert.equal(cellOfNetns("r_s_t_c"), cellAddress("r", "s", "t", "c"));
  assert.is(formatAddress(cellOfNetns("a-b_s_t_c")!), "cell/a-b/s/t/c");
  for (const bad of ["r_s_t", "r_s_t_c_d", "R_s_t_c", "r__t_c", ".tmp-pin"])
    assert.is(cellOfNetns(bad), undefined, bad);
});

t.run();
