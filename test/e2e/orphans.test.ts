/**
 * No orphan can block kuke (issue 12 item 2), through the CLI against the test containerd. The
 * orphans are made the way a killed kuke leaves them: a snapshot prepared with kuke's labels for a
 * container it never created, held by a kuke lease whose holder process is gone. Then:
 *
 * - `kuke plan` lists them as left by an interrupted apply (human and JSON), attributed to the
 *   container their labels name, and `--detailed-exitcode` says there is work (2);
 * - `kuke apply` removes them and converges (exit 0; the next plan has no changes);
 * - `kuke purge container ADDR` removes that container's orphan snapshot (and says so);
 * - `kuke destroy` leaves no container, snapshot or lease behind;
 * - a create blocked by a snapshot that is not kuke's names it and the `ctr` command that clears it.
 */
import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ContainerdClient } from "../../src/executors/containerd/client.js";
import { createContainerdExecutor } from "../../src/executors/containerd/executor.js";
import { kukeLeaseLabels, LEASE_HOLDER, snapshotLabelsOf } from "../../src/executors/containerd/orphans.js";
import { listSnapshots, prepareSnapshot } from "../../src/executors/containerd/snapshots.js";
import { containerAddress, containerLabels, formatAddress } from "../../src/model/index.js";
import { BUSYBOX_IMAGE } from "../harness/busybox-image.js";
import { onTeardown } from "../harness/teardown.js";
import { SPACE, STACK, type StackHost, stackHost } from "./stack-host.js";
import { stackLeaks } from "./stack-leaks.js";

const t = suite("e2e/orphans");
let h: StackHost;
let client: ContainerdClient;

/** Removes what the tests made by hand (leases, snapshots) whatever state a failure left. */
async function removeOrphansByHand(): Promise<void> {
  const ex = createContainerdExecutor(h.containerd.address, { runcRoot: h.containerd.runcRoot });
  try {
    const call = { namespace: h.namespace };
    const leases = await client
      .unary<{ leases: { id: string }[] }>("leases", "List", { filters: [] }, call)
      .catch(() => ({ leases: [] }));
    for (const l of leases.leases) await client.unary("leases", "Delete", { id: l.id }, call).catch(() => undefined);
    for (const s of await listSnapshots(client, call).catch(() => [])) {
      if (s.kind === "ACTIVE" && s.name.startsWith(`${SPACE}_${STACK}_`) && !(await h.containers()).has(s.name)) {
        await client
          .unary("snapshots", "Remove", { snapshotter: "overlayfs", key: s.name }, call)
          .catch(() => undefined);
      }
    }
  } finally {
    ex.close();
  }
}

t.before(async () => {
  h = await stackHost();
  client = new ContainerdClient(h.containerd.address);
  onTeardown("e2e/orphans leftovers", async () => {
    await removeOrphansByHand().catch(() => undefined);
    client.close();
  });
  const up = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(up.code, 0, up.stdout + up.stderr);
});
t.after(async () => {
  await h?.cleanup();
  await removeOrphansByHand().catch(() => undefined);
  client?.close();
});

/** A pid that is certainly not running: a process that already exited. */
function deadPid(): string {
  return String(spawnSync("true").pid);
}

/**
 * What a kuke killed inside its create of `cell/container` leaves: its lease (holder pid dead,
 * the container's labels, an expiry an hour away) holding the snapshot it prepared.
 */
async function killedCreate(cell: string, container: string, lease: string): Promise<string> {
  const a = containerAddress(h.realm, SPACE, STACK, cell, container);
  const labels = snapshotLabelsOf(containerLabels(a, "workload", "h"));
  const expire = new Date(Date.now() + 3_600_000).toISOString();
  await client.unary(
    "leases",
    "Create",
    {
      id: lease,
      labels: { ...labels, ...kukeLeaseLabels(), [LEASE_HOLDER.pid]: deadPid(), "containerd.io/gc.expire": expire },
    },
    { namespace: h.namespace },
  );
  const key = h.idOf(cell, container);
  const image = await topChainId();
  await prepareSnapshot(client, { namespace: h.namespace, lease }, key, image, labels);
  return key;
}

async function topChainId(): Promise<string> {
  const ex = createContainerdExecutor(h.containerd.address);
  try {
    return (await ex.resolveImage(h.namespace, BUSYBOX_IMAGE)).topChainId;
  } finally {
    ex.close();
  }
}

async function activeSnapshots(): Promise<string[]> {
  return (await listSnapshots(client, { namespace: h.namespace }))
    .filter((s) => s.kind === "ACTIVE")
    .map((s) => s.name)
    .sort();
}

async function leases(): Promise<string[]> {
  const r = await client.unary<{ leases: { id: string }[] }>(
    "leases",
    "List",
    { filters: [] },
    { namespace: h.namespace },
  );
  return r.leases.map((l) => l.id).sort();
}

t(
  "plan lists a killed kuke's snapshot and lease as left by an interrupted apply; apply removes them and converges",
  async () => {
    const lease = `kuke-test-${h.realm}-1`;
    const key = await killedCreate("web", "gone", lease);
    const address = formatAddress(containerAddress(h.realm, SPACE, STACK, "web", "gone"));

    const plan = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
    assert.is(plan.code, 2, `orphans are work for apply: ${plan.stdout}${plan.stderr}`);
    assert.match(plan.stdout, "Left by an interrupted apply in containerd");
    assert.match(
      plan.stdout,
      `# ${address}: snapshot ${key} in namespace ${h.namespace}, left by an interrupted apply`,
    );
    assert.match(plan.stdout, `# ${address}: lease ${lease} in namespace ${h.namespace}, left by an interrupted apply`);
    assert.match(plan.stdout, "2 orphans to remove");
    assert.not.match(plan.stdout, "outside kuke");

    const json = await h.kuke(["plan", "-o", "json", "-f", h.manifest]);
    const orphans = (JSON.parse(json.stdout) as { orphans?: { object: string; id: string; address: string }[] })
      .orphans;
    assert.equal(
      orphans?.map((o) => `${o.object} ${o.id} ${o.address}`),
      [`lease ${lease} ${address}`, `snapshot ${key} ${address}`],
    );

    const refresh = await h.kuke(["refresh"]);
    assert.is(refresh.code, 0, refresh.stdout + refresh.stderr);
    assert.match(refresh.stdout, "Left by an interrupted apply in containerd (2; kuke apply removes them)");
    assert.match(refresh.stdout, `${address}: snapshot ${key} in namespace ${h.namespace}`);

    const apply = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
    assert.is(apply.code, 0, apply.stdout + apply.stderr);
    assert.match(apply.stdout, "Left by an interrupted apply: 2 removed.");
    assert.not.ok((await activeSnapshots()).includes(key), "the orphan snapshot is gone");
    assert.not.ok((await leases()).includes(lease), "the abandoned lease is gone");
    const again = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
    assert.is(again.code, 0, `converged: ${again.stdout}${again.stderr}`);
  },
);

t("a live kuke's lease is not an orphan", async () => {
  const live = `kuke-test-${h.realm}-live`;
  await client.unary("leases", "Create", { id: live, labels: kukeLeaseLabels() }, { namespace: h.namespace });
  try {
    const plan = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
    assert.is(plan.code, 0, plan.stdout + plan.stderr);
  } finally {
    await client.unary("leases", "Delete", { id: live }, { namespace: h.namespace });
  }
});

t("kuke purge container removes that container's orphan snapshot, and counts it", async () => {
  const key = await killedCreate("web", "extra", `kuke-test-${h.realm}-2`);
  const r = await h.kuke([
    "purge",
    "container",
    "extra",
    "--realm",
    h.realm,
    "--space",
    SPACE,
    "--stack",
    STACK,
    "--cell",
    "web",
  ]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, `removed snapshot ${key}`);
  assert.match(r.stdout, /Purged container\/\S+: 2 object\(s\) removed/);
  assert.not.ok((await activeSnapshots()).includes(key));
  assert.equal(await leases(), []);
});

t("a create blocked by a snapshot kuke did not make names it and the command that removes it", async () => {
  const key = h.idOf("worker", "helper");
  const foreign = `someone-else-${h.realm}`;
  await client.unary("leases", "Create", { id: foreign, labels: {} }, { namespace: h.namespace });
  const ex = createContainerdExecutor(h.containerd.address);
  try {
    await ex.deleteContainer(h.namespace, key, { graceMs: 0 });
  } finally {
    ex.close();
  }
  await prepareSnapshot(client, { namespace: h.namespace, lease: foreign }, key, await topChainId(), { team: "x" });
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(r.code, 3, r.stdout + r.stderr);
  const out = r.stdout + r.stderr;
  assert.match(out, `containerd already has a snapshot ${key} that kuke did not make`);
  assert.match(out, "its labels: team=x");
  assert.match(out, `Remedy: ctr -n ${h.namespace} snapshots --snapshotter overlayfs rm ${key}`);
  // Not kuke's: neither plan nor apply removes it.
  assert.ok((await activeSnapshots()).includes(key));
  await client.unary("snapshots", "Remove", { snapshotter: "overlayfs", key }, { namespace: h.namespace });
  await client.unary("leases", "Delete", { id: foreign }, { namespace: h.namespace });
  const again = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(again.code, 0, again.stdout + again.stderr);
});

t(
  "destroy of the stack removes the orphans of its containers; destroy of the realm leaves no container, snapshot or lease",
  async () => {
    await killedCreate("worker", "late", `kuke-test-${h.realm}-3`);
    // The stack and its cells only: the realm's namespace stays, so its delete cannot be what removes them.
    const docs = (await readFile(h.manifest, "utf8")).split(/^---$/m);
    const stackOnly = join(h.dir, "stack-only.yaml");
    await writeFile(stackOnly, docs.filter((d) => /^kind: (Stack|Cell)$/m.test(d)).join("---"));
    const stack = await h.kuke(["destroy", "--auto-approve", "-f", stackOnly]);
    assert.is(stack.code, 0, stack.stdout + stack.stderr);
    assert.match(stack.stdout, "Left by an interrupted apply: 2 removed.");
    assert.equal(await activeSnapshots(), []);
    assert.equal(await leases(), []);
    const down = await h.kuke(["destroy", "--auto-approve", "-f", h.manifest]);
    assert.is(down.code, 0, down.stdout + down.stderr);
    assert.equal(await stackLeaks(h), []);
  },
);

t.run();
