/**
 * Purge as steps: what discovery found becomes removal steps of kinds the engine runs, and those
 * run through the runner's pipeline (on the engine tests' fake host here). One failure skips only
 * what depends on it; everything else is still removed.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { cellAddress, formatAddress, KukeError } from "../../src/model/index.js";
import type { Step } from "../../src/planner/index.js";
import { cellOfNetns } from "../../src/purge/discover.js";
import { purgeSteps } from "../../src/purge/steps.js";
import type { Discovery, PurgeReport } from "../../src/purge/types.js";
import { purgeReport } from "../../src/runner/imperative/purge.js";
import { withLock } from "../../src/runner/pipeline.js";
import { type FakeHost, fakeHost } from "../engine/fake-host.js";

const t = suite("purge/steps");

function found(scope: string): Discovery {
  return {
    scope,
    namespace: "r.kukeon.io",
    namespaceFound: scope === "realm/r",
    containers: [
      { id: "s_t_a_root", address: "container/r/s/t/a/root", hasTask: true, status: "running", monitored: false },
      { id: "s_t_a_app", address: "container/r/s/t/a/app", hasTask: false, status: "stopped", monitored: true },
    ],
    orphans: [],
    cells: [{ address: "cell/r/s/t/a", netns: "r_s_t_a", pin: "/run/x/netns/r_s_t_a", attached: true }],
    spaces: scope === "realm/r" ? [{ realm: "r", space: "s", network: "kuke_r_s", bridge: "k-1", ipamFiles: [] }] : [],
    cgroup: { path: scope === "realm/r" ? "/kukeon/r" : "/kukeon/r/s/t/a", dirs: ["/nonexistent/kukeon/r"] },
    logs: ["/run/logs/r"],
    secrets: [],
    records: ["/run/records/realm/r.json", "/run/records/space/r/s.json"],
  };
}

const deps = (steps: Step[], id: string) => steps.find((s) => s.id === id)?.dependsOn;

t("a realm's discovery becomes removal steps of existing kinds, each waiting only for what must go first", () => {
  const steps = purgeSteps(found("realm/r"));
  assert.equal(
    steps.map((s) => s.id),
    [
      "container.delete:container/r/s/t/a/root",
      "container.delete:container/r/s/t/a/app",
      "cni.detach:cell/r/s/t/a",
      "netns.unpin:cell/r/s/t/a",
      "network.remove:space/r/s",
      "cgroup.remove:realm/r",
      "files.remove:logs:realm/r",
      "files.remove:records:realm/r",
      "namespace.delete:realm/r",
    ],
  );
  const containers = ["container.delete:container/r/s/t/a/root", "container.delete:container/r/s/t/a/app"];
  assert.equal(deps(steps, "cni.detach:cell/r/s/t/a"), [], "DEL runs through the pin, whatever the containers do");
  assert.equal(deps(steps, "netns.unpin:cell/r/s/t/a"), ["cni.detach:cell/r/s/t/a"]);
  assert.equal(deps(steps, "network.remove:space/r/s"), ["cni.detach:cell/r/s/t/a"]);
  assert.equal(deps(steps, "cgroup.remove:realm/r"), containers);
  assert.equal(deps(steps, "files.remove:logs:realm/r"), containers);
  assert.equal(deps(steps, "files.remove:records:realm/r"), []);
  assert.equal(deps(steps, "namespace.delete:realm/r"), containers);
  assert.equal(JSON.parse(JSON.stringify(steps)), steps, "steps are plain data");
});

t("a container the restart monitor holds is taken back by its delete step; others are not asked", () => {
  const steps = purgeSteps(found("realm/r"));
  const flag = (id: string) => (steps.find((s) => s.id === id) as { monitored?: boolean } | undefined)?.monitored;
  assert.is(flag("container.delete:container/r/s/t/a/app"), true);
  assert.is(flag("container.delete:container/r/s/t/a/root"), undefined);
});

t("a realm whose namespace containerd does not list gets no namespace step (nothing to count as removed)", () => {
  const ids = purgeSteps({ ...found("realm/r"), namespaceFound: false }).map((s) => s.id);
  assert.not.ok(ids.includes("namespace.delete:realm/r"), ids.join(" "));
  assert.ok(ids.includes("cgroup.remove:realm/r"));
});

t("only a realm purge touches the namespace; a cell's purge leaves its space's network alone", () => {
  const kinds = purgeSteps(found("cell/r/s/t/a")).map((s) => s.kind);
  assert.not.ok(kinds.includes("namespace.delete"));
  assert.not.ok(kinds.includes("network.remove"));
  const nothing = purgeSteps({ ...found("cell/r/s/t/b"), containers: [], cells: [], cgroup: { path: "/x", dirs: [] } });
  assert.equal(
    nothing.map((s) => s.kind),
    ["files.remove", "files.remove"],
  );
});

/** Runs the steps through the pipeline on a fake host, as `kuke purge` does. */
async function run(host: FakeHost, f: Discovery): Promise<PurgeReport & { recordsRemoved: number }> {
  const steps = purgeSteps(f);
  const o = { runPath: host.runPath, runtimeDir: host.runtimeDir, containerdAddress: "", host };
  const r = await withLock(o, "kuke purge realm", (s) => s.run(steps, {}));
  const { report, recordsRemoved } = purgeReport(f, steps, r.result);
  return { ...report, recordsRemoved };
}

t("the engine runs them in dependency order and every object is reported removed", async () => {
  const host = fakeHost("purge");
  try {
    const report = await run(host, found("realm/r"));
    const calls = host.calls.filter((c) => !c.startsWith("list"));
    const at = (prefix: string) => calls.findIndex((c) => c.startsWith(prefix));
    assert.ok(at("detach") < at("unpin") && at("detach") < at("removeSpaceNetwork"), calls.join("\n"));
    assert.ok(at("deleteContainer") < at("cgroup.remove") && at("deleteContainer") < at("deleteNamespace"));
    assert.equal(
      report.items.map((i) => [i.kind, i.outcome]),
      [
        ["container", "removed"],
        ["container", "removed"],
        ["cni-attachment", "removed"],
        ["netns-pin", "removed"],
        ["network", "removed"],
        ["cgroup", "removed"],
        ["logs", "removed"],
        ["namespace", "removed"],
      ],
    );
    assert.equal([report.removed, report.failed, report.notDone, report.recordsRemoved], [8, 0, 0, 2]);
    const journal = await host.journal.lastUnfinished();
    assert.is(journal, undefined, "the run was journaled and finished");
  } finally {
    host.cleanup();
  }
});

t("a failure is reported, what depends on it is skipped, and the rest still runs", async () => {
  const host = fakeHost("purge-fail");
  try {
    const deleteContainer = host.containerd.deleteContainer;
    host.containerd.deleteContainer = async (ns, id, opts) => {
      if (id === "s_t_a_root") throw new KukeError("unavailable", "containerd is not answering");
      return deleteContainer(ns, id, opts);
    };
    host.network.removeSpaceNetwork = async () => {
      throw new KukeError("busy", "network kuke_r_s still has 1 attached cell(s)");
    };
    const report = await run(host, found("realm/r"));
    assert.equal(
      report.items.map((i) => [i.kind, i.outcome]),
      [
        ["container", "failed"],
        ["container", "removed"],
        ["cni-attachment", "removed"],
        ["netns-pin", "removed"],
        ["network", "failed"],
        ["cgroup", "skipped"],
        ["logs", "skipped"],
        ["namespace", "skipped"],
      ],
    );
    assert.is(report.items[0]!.detail, "containerd is not answering");
    assert.match(report.items[5]!.detail ?? "", "container.delete:container/r/s/t/a/root failed");
    assert.equal([report.removed, report.failed, report.notDone, report.recordsRemoved], [3, 2, 3, 2]);
  } finally {
    host.cleanup();
  }
});

t("a bare Error is reported as a bug, not swallowed; a namespace holding images is kept", async () => {
  const host = fakeHost("purge-bug");
  try {
    host.network.detach = async () => {
      throw new Error("boom");
    };
    host.containerd.listImages = async () => [
      { name: "docker.io/library/busybox:latest", digest: "sha256:1", mediaType: "m", size: 1, labels: {} },
    ];
    const report = await run(host, found("realm/r"));
    const detach = report.items.find((i) => i.kind === "cni-attachment")!;
    assert.is(detach.outcome, "failed");
    assert.match(detach.detail ?? "", "this is a bug");
    assert.equal(report.items.at(-1), {
      kind: "namespace",
      name: "r.kukeon.io",
      outcome: "kept",
      detail: "it holds 1 image (kuke image rm docker.io/library/busybox:latest --realm r)",
    });
    assert.not.ok(host.calls.some((c) => c.startsWith("deleteNamespace")));
  } finally {
    host.cleanup();
  }
});

t("netns names map back to cells; anything else is ignored", () => {
  assert.equal(cellOfNetns("r_s_t_c"), cellAddress("r", "s", "t", "c"));
  assert.is(formatAddress(cellOfNetns("a-b_s_t_c")!), "cell/a-b/s/t/c");
  for (const bad of ["r_s_t", "r_s_t_c_d", "R_s_t_c", "r__t_c", ".tmp-pin"])
    assert.is(cellOfNetns(bad), undefined, bad);
});

t.run();
