/**
 * `kuke image load|pull|ls|rm` against the harness containerd and a local registry on 127.0.0.1,
 * in a realm that is not applied (images are staged in `<realm>.kukeon.io`).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ContainerdClient } from "../../src/executors/containerd/client.js";
import { deleteNamespace } from "../../src/executors/containerd/namespaces.js";
import { buildBusyboxArchive } from "../harness/busybox-image.js";
import { sharedContainerd } from "../harness/containerd.js";
import { runId } from "../harness/netns.js";
import { seedBusybox, sharedRegistry } from "../harness/registry.js";
import { onTeardown } from "../harness/teardown.js";
import { runKuke } from "./capture.js";

const t = suite("cli/image-commands");
const realm = `img${runId()}`;
const namespace = `${realm}.kukeon.io`;
let dir = "";
let env: Record<string, string> = {};

async function dropNamespace(address: string): Promise<void> {
  const client = new ContainerdClient(address);
  try {
    for (const name of ["docker.io/library/busybox:latest", "registry.local/busybox:1"]) {
      await client.unary("images", "Delete", { name, sync: true }, { namespace }).catch(() => undefined);
    }
    await deleteNamespace(client, namespace).catch(() => undefined);
  } finally {
    client.close();
  }
}

t.before(async () => {
  const ctd = await sharedContainerd();
  dir = await mkdtemp("/tmp/kuke-cli-image-");
  env = { KUKE_RUN_PATH: join(dir, "run"), KUKE_RUNTIME_DIR: join(dir, "rt"), KUKE_CONTAINERD_ADDRESS: ctd.address };
  onTeardown(`image test ${realm}`, async () => {
    await dropNamespace(ctd.address);
    await rm(dir, { recursive: true, force: true });
  });
});
t.after(async () => {
  await dropNamespace(env.KUKE_CONTAINERD_ADDRESS as string);
  await rm(dir, { recursive: true, force: true });
});

const kuke = (argv: string[]) => runKuke(argv, { env });

async function names(): Promise<string[]> {
  const r = await kuke(["image", "ls", "--realm", realm, "-o", "json"]);
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.format_version, "1");
  assert.is(j.namespace, namespace);
  return j.images.map((i: { name: string }) => i.name);
}

t("ls of a realm with no namespace yet is empty", async () => {
  assert.equal(await names(), []);
  const table = await kuke(["image", "ls", "--realm", realm]);
  assert.is(table.stdout, "NAME   DIGEST   SIZE\n");
});

t("load stages an archive in the realm's default namespace, under --name if given", async () => {
  const archive = await buildBusyboxArchive(dir);
  // On a terminal, one line for the image, redrawn in place, with each blob's bytes and total (a
  // blob the shared containerd already holds may be left part-read; the config is always read
  // whole); without a terminal, no progress at all.
  const r = await runKuke(["image", "load", archive, "--realm", realm], { env, tty: true });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `Loaded docker.io/library/busybox:latest (sha256:`);
  assert.match(r.stdout, `into ${namespace}`);
  const draws = r.stderr.split("\r\x1b[K");
  assert.ok(draws.length > 2, `drawn in place: ${JSON.stringify(r.stderr)}`);
  const name = basename(archive).replaceAll(".", "\\.");
  assert.match(draws.at(-1) ?? "", new RegExp(`^${name}  [\\d.]+/[\\d.]+ MB  (\\[[0-9a-f]{8} [^\\]]*\\] ?)+\n$`));
  assert.match(draws.at(-1) ?? "", /\[[0-9a-f]{8} done\]/);
  const plain = await kuke(["image", "load", archive, "--realm", realm]);
  assert.equal([plain.code, plain.stderr], [0, ""]);
  const named = await kuke(["image", "load", archive, "--realm", realm, "--name", "registry.local/busybox:1"]);
  assert.is(named.code, 0, named.stderr);
  assert.equal(await names(), ["docker.io/library/busybox:latest", "registry.local/busybox:1"]);
  const table = await kuke(["image", "ls", "--realm", realm]);
  assert.match(table.stdout, /^NAME {31}DIGEST {16}SIZE\ndocker\.io\/library\/busybox:latest {3}sha256:/);
});

t("rm removes by short name; removing it again is an error naming the namespace", async () => {
  const r = await kuke(["image", "rm", "busybox", "--realm", realm]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(await names(), ["registry.local/busybox:1"]);
  const again = await kuke(["image", "rm", "busybox", "--realm", realm]);
  assert.is(again.code, 1);
  assert.match(again.stderr, `is not in containerd namespace ${namespace}`);
  assert.match(again.stderr, `kuke image ls --realm ${realm}`);
});

t("pull from a local registry into the realm's namespace", async () => {
  const reg = await sharedRegistry();
  await seedBusybox(reg, `kuke-cli/${realm}:v1`);
  const r = await kuke(["image", "pull", `${reg.host}/kuke-cli/${realm}:v1`, "--realm", realm]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `Pulled ${reg.host}/kuke-cli/${realm}:v1 (sha256:`);
  assert.ok((await names()).includes(`${reg.host}/kuke-cli/${realm}:v1`));
  // On a terminal the pull shows progress on stderr.
  const tty = await runKuke(["image", "pull", `${reg.host}/kuke-cli/${realm}:v1`, "--realm", realm], {
    env,
    tty: true,
  });
  assert.is(tty.code, 0, tty.stderr);
  // One line for the image, with each blob's progress: `REF  a/b MB  [digest done] …`. The layer is
  // already present this time, so its stream may be left part-read: some blob, not the first, is done.
  assert.match(
    tty.stderr,
    new RegExp(`kuke-cli/${realm}:v1  [\\d.]+/[\\d.]+ MB  (\\[[0-9a-f]{8} [^\\]]*\\] )*\\[[0-9a-f]{8} done\\]`),
    JSON.stringify(tty.stderr),
  );
  const missing = await kuke(["image", "pull", `${reg.host}/kuke-cli/${realm}:nope`, "--realm", realm]);
  assert.is(missing.code, 1);
  assert.not.match(missing.stderr, "this is a bug");
  const rmPulled = await kuke(["image", "rm", `${reg.host}/kuke-cli/${realm}:v1`, "--realm", realm]);
  assert.is(rmPulled.code, 0, rmPulled.stderr);
});

t("an invalid realm name is a usage error", async () => {
  const r = await kuke(["image", "ls", "--realm", "Bad_Realm"]);
  assert.is(r.code, 64);
});

t.run();
