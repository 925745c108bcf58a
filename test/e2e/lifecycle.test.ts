/**
 * `lifecycle` on the real host, through the CLI as a process: `preventDestroy` refuses a forced
 * replacement, `--replace`, a prune, `kuke destroy` and `kuke delete` with exit 5 and leaves every
 * container as it was (same containerd ids, images, spec hashes and task pids); the record keeps
 * it when the file drops the resource; `kuke purge` overrides it with a warning. `ignoreChanges`
 * keeps a changed field off the host and says so in the plan.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContainerdExecutor } from "../../src/executors/containerd/executor.js";
import { runKuke } from "../cli/capture.js";
import { sharedContainerd } from "../harness/containerd.js";
import { type KukeEnv, kukeEnv } from "../harness/kuke-env.js";
import { runId } from "../harness/netns.js";
import { stackHeader } from "../harness/stack-header.js";
import { onTeardown } from "../harness/teardown.js";
import { loadBusybox, removeStackLeftovers } from "./stack-host.js";
import { cellLeaks } from "./stack-leaks.js";

const t = suite("e2e/lifecycle");
const realm = `l${runId()}`;
const namespace = `${realm}.kukeon.io`;
let dir = "";
let env: KukeEnv;
let manifest = "";
const CELLS = ["keep", "free"];
const KEEP = `cell/${realm}/net/st/keep`;
const BUSYBOX = "docker.io/library/busybox:latest";
// busybox loaded under a second name: a different image as far as the plan is concerned.
const OTHER = "registry.local/other:1";

interface Stack {
  keepImage?: string;
  keepLifecycle?: string;
  withKeep?: boolean;
  freeArgs?: string;
}

function stack(o: Stack = {}): string {
  const keep = `---
kind: Cell
metadata: {name: keep}
spec:
  realmId: ${realm}
  spaceId: net
  stackId: st
  lifecycle: ${o.keepLifecycle ?? "{preventDestroy: true}"}
  containers:
    - {id: app, root: true, image: "${o.keepImage ?? BUSYBOX}", command: /bin/sleep, args: ["3600"]}
`;
  return `${stackHeader(realm)}${o.withKeep === false ? "" : keep}---
kind: Cell
metadata: {name: free}
spec:
  realmId: ${realm}
  spaceId: net
  stackId: st
  containers:
    - id: app
      root: true
      image: "${BUSYBOX}"
      command: /bin/sleep
      args: ["${o.freeArgs ?? "3600"}"]
      lifecycle: {ignoreChanges: [spec.args]}
`;
}

const kuke = (argv: string[]) => runKuke(argv, { env });

/** What containerd runs in the realm: id → image, spec hash and task pid. */
async function containers(): Promise<Record<string, string>> {
  const ex = createContainerdExecutor(env.KUKE_CONTAINERD_ADDRESS, { runcRoot: env.KUKE_RUNC_ROOT });
  try {
    const out: Record<string, string> = {};
    for (const c of await ex.listContainers(namespace)) out[c.id] = `${c.image} ${c.specHash} ${c.status} ${c.pid}`;
    return out;
  } finally {
    ex.close();
  }
}

async function cleanup(): Promise<void> {
  if (dir === "" || !existsSync(dir)) return;
  await kuke(["purge", "realm", realm]).catch(() => undefined);
  await removeStackLeftovers(env, realm, "net", "st", CELLS);
  await rm(dir, { recursive: true, force: true });
}

let before: Record<string, string> = {};

t.before(async () => {
  const ctd = await sharedContainerd();
  dir = await mkdtemp("/tmp/kuke-e2e-lifecycle-");
  onTeardown(`e2e lifecycle ${realm}`, cleanup);
  manifest = join(dir, "stack.yaml");
  env = kukeEnv(dir, ctd);
  await loadBusybox(env, dir, realm, [OTHER]);
  await writeFile(manifest, stack());
  const r = await kuke(["apply", "--auto-approve", "-f", manifest]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  before = await containers();
  assert.is(Object.keys(before).length, 2);
});
t.after(cleanup);

/** Exit 5, the guard named with its reason, and the host exactly as before. */
async function refused(r: { code: number; stdout: string; stderr: string }, reason: string): Promise<void> {
  assert.is(r.code, 5, r.stdout + r.stderr);
  assert.match(r.stderr, `lifecycle.preventDestroy is set: the plan would`);
  assert.match(r.stderr, reason);
  assert.equal(await containers(), before);
}

t("a forced replacement (root image change) is refused by plan and apply, exit 5", async () => {
  await writeFile(manifest, stack({ keepImage: OTHER }));
  const plan = await kuke(["plan", "-f", manifest]);
  await refused(plan, `replace ${KEEP} (field spec.containers[app].image forces replacement)`);
  assert.match(plan.stdout, `${KEEP} must be replaced`);
  const apply = await kuke(["apply", "--auto-approve", "-f", manifest]);
  await refused(apply, `replace ${KEEP} (field spec.containers[app].image forces replacement)`);
  assert.match(apply.stderr, "nothing was changed");
});

t("--replace of the protected cell is refused", async () => {
  await writeFile(manifest, stack());
  const r = await kuke(["apply", "--auto-approve", "--replace", KEEP, "-f", manifest]);
  await refused(r, `replace ${KEEP} (requested with --replace)`);
});

t("removed from the file and --prune: the record still protects it", async () => {
  await writeFile(manifest, stack({ withKeep: false }));
  const r = await kuke(["apply", "--auto-approve", "--prune", "-f", manifest]);
  await refused(r, `delete ${KEEP} (not in configuration (pruned))`);
  assert.match(r.stderr, "kuke's record keeps the lifecycle.preventDestroy");
  assert.match(r.stderr, `declare ${KEEP} again with lifecycle.preventDestroy removed`);
});

t("kuke destroy and kuke delete are refused", async () => {
  await writeFile(manifest, stack());
  await refused(await kuke(["destroy", "--auto-approve", "-f", manifest]), `delete ${KEEP} (destroy)`);
  const del = await kuke(["delete", "cell", "keep", "--realm", realm, "--space", "net", "--stack", "st"]);
  await refused(del, `delete ${KEEP} (requested with kuke delete)`);
  assert.is((await kuke(["plan", "--detailed-exitcode", "-f", manifest])).code, 0, "the host is as applied");
});

t("ignoreChanges: a changed field is not applied, and plan says it is ignored", async () => {
  await writeFile(manifest, stack({ freeArgs: "3601" }));
  const plan = await kuke(["plan", "--detailed-exitcode", "-f", manifest]);
  assert.is(plan.code, 0, plan.stdout + plan.stderr);
  assert.match(plan.stdout, "Ignored by lifecycle.ignoreChanges");
  assert.match(plan.stdout, `container/${realm}/net/st/free/app: spec.args`);
  const json = JSON.parse((await kuke(["plan", "--json", "-f", manifest])).stdout) as {
    changes: { address: string; action: string; ignoredPaths?: string[] }[];
  };
  const app = json.changes.find((c) => c.address === `container/${realm}/net/st/free/app`)!;
  assert.is(app.action, "noop");
  assert.equal(app.ignoredPaths, ["spec.args"]);
  const apply = await kuke(["apply", "--auto-approve", "-f", manifest]);
  assert.is(apply.code, 0, apply.stderr);
  assert.equal(await containers(), before);
});

t("lifting preventDestroy is a records-only apply; then destroy goes through and leaves nothing", async () => {
  await writeFile(manifest, stack({ keepLifecycle: "{}" }));
  const lift = await kuke(["apply", "--auto-approve", "-f", manifest]);
  assert.is(lift.code, 0, lift.stdout + lift.stderr);
  assert.match(lift.stdout, `${KEEP} will be updated in-place`);
  assert.equal(await containers(), before);
  const r = await kuke(["destroy", "--auto-approve", "-f", manifest]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const leaks = await cellLeaks(env, realm, "net", "st", Object.fromEntries(CELLS.map((c) => [c, ["app"]])));
  assert.equal(leaks, []);
});

t("kuke purge removes a protected cell regardless, with a warning", async () => {
  await writeFile(manifest, stack());
  assert.is((await kuke(["apply", "--auto-approve", "-f", manifest])).code, 0);
  const r = await kuke(["purge", "cell", "keep", "--realm", realm, "--space", "net", "--stack", "st"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, `Warning: ${KEEP} has lifecycle.preventDestroy; purge removes it regardless.`);
  assert.not.match(r.stderr, "did not finish");
  const plan = await kuke(["plan", "-f", manifest]);
  assert.match(plan.stdout, `${KEEP} will be created`);
  assert.is((await kuke(["destroy", "--auto-approve", "-f", manifest])).code, 0);
});

t.run();
