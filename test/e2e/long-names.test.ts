/**
 * Names at their longest work end to end: realm, space, stack, cell and container each of 63
 * characters (the DNS-label bound), and a mounted secret of 253, apply and destroy cleanly, with no
 * leak. The derived names at stake: the netns pin `<realm>_<space>_<stack>_<cell>` is exactly 255
 * characters (NAME_MAX), the CNI attachment record, the containerd id (76, shortened with a hash),
 * the containerd namespace `<realm>.kukeon.io` (74 of 76), the cgroup path, the secret file.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { NetworkExecutor } from "../../src/executors/cni/index.js";
import { cellAddress, netnsName } from "../../src/model/index.js";
import { runKuke } from "../cli/capture.js";
import { sharedContainerd } from "../harness/containerd.js";
import { kukeEnv } from "../harness/kuke-env.js";
import { runId } from "../harness/netns.js";
import { stackHeader } from "../harness/stack-header.js";
import { onTeardown } from "../harness/teardown.js";
import { loadBusybox, removeStackLeftovers } from "./stack-host.js";
import { cellLeaks } from "./stack-leaks.js";

const t = suite("e2e/long-names");
const long = (prefix: string) => (prefix + "x".repeat(63)).slice(0, 63);

t("63-character names everywhere apply, run and destroy without a leak", async () => {
  const ctd = await sharedContainerd();
  const dir = await mkdtemp("/tmp/kuke-long-");
  const realm = long(`e2e${runId()}`);
  const [space, stack, cell, container] = ["s", "t", "c", "k"].map(long) as [string, string, string, string];
  const address = cellAddress(realm, space, stack, cell);
  const env = kukeEnv(dir, ctd);
  const net = new NetworkExecutor({ runPath: env.KUKE_RUN_PATH, runtimeDir: env.KUKE_RUNTIME_DIR });
  const cleanup = async () => {
    await removeStackLeftovers(env, realm, space, stack, [cell]);
    await rm(dir, { recursive: true, force: true });
  };
  onTeardown(`long names ${realm}`, cleanup);
  try {
    const secretName = `S${"n".repeat(252)}`;
    await writeFile(join(dir, "secret"), "s3cret");
    const manifest = join(dir, "long.yaml");
    await writeFile(
      manifest,
      `${stackHeader(realm, space, stack)}---
kind: Cell
metadata: {name: ${cell}}
spec:
  realmId: ${realm}
  spaceId: ${space}
  stackId: ${stack}
  containers:
    - id: ${container}
      image: docker.io/library/busybox:latest
      command: /bin/sleep
      args: ["3600"]
      secrets: [{name: ${secretName}, fromFile: ${join(dir, "secret")}, mountPath: /run/s}]
`,
    );
    assert.is(netnsName(address).length, 255);
    await loadBusybox(env, dir, realm);

    const apply = await runKuke(["apply", "--auto-approve", "-f", manifest], { env });
    assert.is(apply.code, 0, `${apply.stdout.slice(-2000)}\n${apply.stderr}`);
    const record = JSON.parse(
      await readFile(join(env.KUKE_RUN_PATH, "records", "cell", realm, space, stack, `${cell}.json`), "utf8"),
    );
    assert.match(record.extra.ip as string, /^10\.88\.\d+\.\d+$/);
    assert.ok(await net.isPinned(address), "the 255-character pin is mounted");

    const destroy = await runKuke(["destroy", "--auto-approve", "-f", manifest], { env });
    assert.is(destroy.code, 0, `${destroy.stdout.slice(-2000)}\n${destroy.stderr}`);
    assert.not.match(destroy.stdout + destroy.stderr, "this is a bug");
    assert.equal(await cellLeaks(env, realm, space, stack, { [cell]: [container] }), []);
    const records = await readdir(join(env.KUKE_RUN_PATH, "records"), { recursive: true }).catch(() => []);
    assert.equal(
      records.filter((f) => f.endsWith(".json")),
      [],
    );
    const again = await runKuke(["destroy", "--auto-approve", "-f", manifest], { env });
    assert.is(again.code, 0, again.stderr);
  } finally {
    await cleanup();
  }
});

t.run();
