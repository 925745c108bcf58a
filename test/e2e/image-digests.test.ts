/**
 * Image digests and pull policy end to end (issue 11 items 1, 2, 6), with kuke's CLI against the
 * test containerd and a local docker-registry on 127.0.0.1 of this test's own (it is stopped
 * halfway, to be the offline registry). Three versions of one busybox image, each with its version
 * in the config's Env, are pushed in turn to the same tag: the plan shows each move, a saved plan
 * runs the digest it showed even after the tag moved again, and the running task's environment
 * says which version runs.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { buildLayerImage, writeImageArchive } from "../../src/executors/containerd/pause-image.js";
import { busyboxEntries } from "../harness/busybox-image.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import { stackHeader } from "../harness/stack-header.js";
import { onTeardown } from "../harness/teardown.js";
import { until } from "../harness/until.js";
import { environOf, type StackHost, stackHost } from "./stack-host.js";

const run = promisify(execFile);
const t = suite("e2e/image-digests");

let host: StackHost;
let reg: TestRegistry;
/** `127.0.0.1:<port>/kt/<realm>/app`, and the digest each pushed version got. */
let repo: string;
const digests: string[] = [];

const manifest = (realm: string, cells: string) => `${stackHeader(realm, "apps", "shop")}${cells}`;

const webCell = (realm: string, image: string) => `---
kind: Cell
metadata: {name: web}
spec:
  realmId: ${realm}
  spaceId: apps
  stackId: shop
  containers:
    - id: app
      image: ${image}
      command: /bin/sh
      args: [-c, "exec sleep 3600"]
`;

/** Builds busybox with `KUKE_TEST_VERSION=<version>` in its config and pushes it as `:latest`; returns its digest. */
async function pushVersion(version: number): Promise<string> {
  const img = await buildLayerImage({
    name: `${repo}:latest`,
    entries: busyboxEntries(),
    config: { Env: ["PATH=/bin", `KUKE_TEST_VERSION=${version}`], Cmd: ["sh"] },
  });
  const archive = join(host.dir, `app-v${version}.tar`);
  await writeImageArchive(img, archive, "oci");
  await run("skopeo", [
    "copy",
    "--quiet",
    "--dest-tls-verify=false",
    `oci-archive:${archive}`,
    `docker://${repo}:latest`,
  ]);
  const res = await fetch(`${reg.url}/v2/${repo.slice(reg.host.length + 1)}/manifests/latest`, {
    method: "HEAD",
    headers: { accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json" },
  });
  const digest = res.headers.get("docker-content-digest");
  if (digest === null) throw new Error(`no digest for ${repo}:latest (HTTP ${res.status})`);
  digests[version] = digest;
  return digest;
}

const short = (d: string) => `${d.slice(0, "sha256:".length + 12)}…`;

/** The image name and `KUKE_TEST_VERSION` of web's app container as containerd runs it. */
async function running(): Promise<{ image: string; version: string | undefined }> {
  const c = (await host.containers()).get(host.idOf("web", "app"));
  assert.ok(c?.pid !== undefined && c.status === "running", `web/app is not running: ${JSON.stringify(c)}`);
  // containerd calls the task running once runc has started it, a moment before runc's init has
  // exec'd the image's command: until then /proc/PID/environ is runc's, without the image's variables.
  const pid = c.pid;
  const version = await until(
    "web/app's process to exec the image's command",
    async () => (await environOf(pid)).find((e) => e.startsWith("KUKE_TEST_VERSION="))?.split("=")[1],
  );
  return { image: c.image, version };
}

t.before(async () => {
  host = await stackHost();
  reg = await startRegistry();
  onTeardown(`e2e image-digests registry ${reg.host}`, () => reg.stop());
  repo = `${reg.host}/kt/${host.realm}/app`;
  await host.writeManifest(() => manifest(host.realm, webCell(host.realm, `${repo}:latest`)));
});

t.after(async () => {
  await host?.cleanup();
  await reg?.stop();
});

t("apply pulls the tag by the digest the plan resolved and runs that content", async () => {
  const v1 = await pushVersion(1);
  const r = await host.kuke(["apply", "--auto-approve", "-f", host.manifest]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, v1, "the plan shows the digest");
  assert.equal(await running(), { image: `${repo}@${v1}`, version: "1" });
  const again = await host.kuke(["plan", "--detailed-exitcode", "-f", host.manifest]);
  assert.is(again.code, 0, again.stderr + again.stdout);
});

t(
  "a tag moved in the registry: plan exits 2 naming both digests; a saved plan runs its digest after a further move",
  async () => {
    const v1 = digests[1]!;
    const v2 = await pushVersion(2);
    assert.is.not(v2, v1);
    const p = await host.kuke(["plan", "--detailed-exitcode", "-f", host.manifest]);
    assert.is(p.code, 2, p.stderr + p.stdout);
    assert.match(p.stdout, `image ${repo}:latest moved: ${short(v1)} -> ${short(v2)}`);
    assert.match(p.stdout, `"${v1}" -> "${v2}"`);

    const planFile = join(host.dir, "moved.plan");
    const saved = await host.kuke(["plan", "-f", host.manifest, "--out", planFile]);
    assert.is(saved.code, 0, saved.stderr + saved.stdout);
    const v3 = await pushVersion(3);
    assert.is.not(v3, v2);

    const applied = await host.kuke(["apply", planFile]);
    assert.is(applied.code, 0, applied.stderr + applied.stdout);
    assert.equal(await running(), { image: `${repo}@${v2}`, version: "2" }, "the saved plan's digest, not the tag's");

    const next = await host.kuke(["plan", "--detailed-exitcode", "-f", host.manifest]);
    assert.is(next.code, 2, next.stderr + next.stdout);
    assert.match(next.stdout, `moved: ${short(v2)} -> ${short(v3)}`);
  },
);

t("Never with an image that is not present: a plan error naming it and kuke image load; nothing changes", async () => {
  const before = [...(await host.containers()).keys()].sort();
  const missing = `${reg.host}/kt/${host.realm}/never:1`;
  await host.writeManifest(() =>
    manifest(
      host.realm,
      webCell(host.realm, `${repo}:latest`) +
        webCell(host.realm, missing)
          .replace("name: web", "name: worker")
          .replace("      command:", "      imagePullPolicy: Never\n      command:"),
    ),
  );
  try {
    const r = await host.kuke(["apply", "--auto-approve", "-f", host.manifest]);
    assert.is(r.code, 1, r.stderr + r.stdout);
    const out = r.stdout + r.stderr;
    assert.match(out, `image ${missing} is not present in realm ${host.realm} and its pull policy is Never`);
    assert.match(out, `kuke image load FILE --realm ${host.realm}`);
    assert.equal([...(await host.containers()).keys()].sort(), before, "no container made or removed");
    const p = await host.kuke(["plan", "-f", host.manifest, "--pull", "never"]);
    assert.is(p.code, 1, p.stderr + p.stdout);
  } finally {
    await host.writeManifest(() => manifest(host.realm, webCell(host.realm, `${repo}:latest`)));
  }
});

t(
  "the registry unreachable with the image present: a warning and exit 0 (IfNotPresent); an error with --pull always",
  async () => {
    await reg.stop();
    const p = await host.kuke(["plan", "--detailed-exitcode", "-f", host.manifest]);
    assert.is(p.code, 0, p.stderr + p.stdout);
    const out = p.stdout + p.stderr;
    assert.match(out, `the registry of ${repo}:latest cannot be asked`);
    assert.match(out, digests[2]!, "the local digest is used");
    assert.equal(await running(), { image: `${repo}@${digests[2]}`, version: "2" });
    const always = await host.kuke([
      "plan",
      "-f",
      host.manifest,
      "--pull",
      "always",
      "--replace",
      `container/${host.realm}/apps/shop/web/app`,
    ]);
    assert.is(always.code, 1, always.stderr + always.stdout);
    assert.match(
      always.stdout + always.stderr,
      `image ${repo}:latest is not loaded in realm ${host.realm} and cannot be pulled`,
    );
  },
);

t.run();
