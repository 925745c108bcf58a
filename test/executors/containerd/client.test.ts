import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ContainerdClient, toGrpcAddress } from "../../../src/executors/containerd/client.js";
import { deleteNamespace, ensureNamespace, listNamespaces } from "../../../src/executors/containerd/namespaces.js";
import { isKukeError } from "../../../src/model/errors.js";
import { sharedContainerd } from "../../harness/containerd.js";

const t = suite("executors/containerd/client");

t("addresses become unix:///abs", () => {
  assert.is(toGrpcAddress("/run/x.sock"), "unix:///run/x.sock");
  assert.is(toGrpcAddress("unix:///run/x.sock"), "unix:///run/x.sock");
  assert.throws(
    () => toGrpcAddress("run/x.sock"),
    (e: unknown) => isKukeError(e, "usage"),
  );
});

t("version answers with the daemon's version and revision", async () => {
  const ctd = await sharedContainerd();
  const client = new ContainerdClient(ctd.socketPath);
  try {
    const v = await client.version();
    assert.match(v.version, /^\d+\.\d+/);
    assert.ok(v.revision.length > 0);
  } finally {
    client.close();
  }
});

t("namespace round trip: create (twice), list, delete (twice)", async () => {
  const ctd = await sharedContainerd();
  const client = new ContainerdClient(ctd.address);
  const ns = `kuke-test-${process.pid}-ns`;
  try {
    await ensureNamespace(client, ns, { "kuke.dev/managed-by": "kuke" });
    await ensureNamespace(client, ns);
    const found = (await listNamespaces(client)).find((n) => n.name === ns);
    assert.ok(found);
    assert.is(found.labels["kuke.dev/managed-by"], "kuke");
    await deleteNamespace(client, ns);
    await deleteNamespace(client, ns);
    assert.not.ok((await listNamespaces(client)).some((n) => n.name === ns));
  } finally {
    await deleteNamespace(client, ns).catch(() => undefined);
    client.close();
  }
});

t("gRPC errors are classified into KukeError codes", async () => {
  const ctd = await sharedContainerd();
  const client = new ContainerdClient(ctd.address);
  try {
    const missing = await client
      .unary("containers", "Get", { id: "does-not-exist" }, { namespace: "kuke-test-none" })
      .catch((e: unknown) => e);
    assert.ok(isKukeError(missing, "not-found"), String(missing));
    assert.ok((missing as { detail?: string }).detail);

    const ns = `kuke-test-${process.pid}-dup`;
    await ensureNamespace(client, ns);
    const dup = await client
      .unary("namespaces", "Create", { namespace: { name: ns, labels: {} } }, { namespace: "default" })
      .catch((e: unknown) => e);
    await deleteNamespace(client, ns);
    assert.ok(isKukeError(dup, "already-exists"), String(dup));
  } finally {
    client.close();
  }
  const nowhere = new ContainerdClient("/tmp/kuke-no-such-containerd.sock");
  try {
    const down = await nowhere.version(500).catch((e: unknown) => e);
    assert.ok(isKukeError(down, "unavailable"), String(down));
    assert.ok((down as { remedy?: string }).remedy);
  } finally {
    nowhere.close();
  }
});

t.run();
