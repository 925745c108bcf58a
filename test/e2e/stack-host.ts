/**
 * A temporary kuke host for end-to-end tests: the shared test containerd, a fresh run path and
 * runtime dir, the busybox image and a copy of `fixtures/examples/stack.yaml` whose realm is
 * renamed to a unique name. `cleanup()` destroys through kuke and then removes by hand whatever
 * is left (network, pins, cgroups, files); it is also registered with `onTeardown`.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { detectCgroupDriver } from "../../src/executors/cgroup/index.js";
import { NetworkExecutor } from "../../src/executors/cni/index.js";
import { type ContainerRecord, createContainerdExecutor } from "../../src/executors/containerd/executor.js";
import { cellAddress, cgroupPath, containerAddress, containerdId } from "../../src/model/index.js";
import { type KukeRun, runKuke } from "../cli/capture.js";
import { buildBusyboxArchive } from "../harness/busybox-image.js";
import { sharedContainerd, type TestContainerd } from "../harness/containerd.js";
import { type KukeEnv, kukeEnv } from "../harness/kuke-env.js";
import { freeLoopbackPort } from "../harness/loopback.js";
import { runId } from "../harness/netns.js";
import { onTeardown } from "../harness/teardown.js";
import { until } from "../harness/until.js";

const repo = fileURLToPath(new URL("../../..", import.meta.url));
export const STACK_FIXTURE = join(repo, "fixtures", "examples", "stack.yaml");
export const SPACE = "apps";
export const STACK = "shop";
export const CELLS = { web: ["root", "httpd", "ticker"], worker: ["main", "helper"] } as const;

export interface StackHost {
  realm: string;
  /** The host port this run publishes web's httpd on (the fixture's 18080, moved to a free one). */
  hostPort: number;
  namespace: string;
  dir: string;
  manifest: string;
  env: KukeEnv;
  containerd: TestContainerd;
  kuke(argv: string[], opts?: { tty?: boolean; stdin?: string }): Promise<KukeRun>;
  /** Rewrites the manifest: the fixture with the realm renamed, then `edit` applied to the text. */
  writeManifest(edit?: (text: string) => string): Promise<void>;
  /** kuke's containers in the realm's namespace, by containerd id. */
  containers(): Promise<Map<string, ContainerRecord>>;
  /** The containerd id of `<cell>/<container>`. */
  idOf(cell: string, container: string): string;
  cleanup(): Promise<void>;
}

/** `containerd`: a daemon of the test's own (one it may restart) instead of the shared one. */
export async function stackHost(opts: { containerd?: TestContainerd } = {}): Promise<StackHost> {
  const containerd = opts.containerd ?? (await sharedContainerd());
  const realm = `e2e${runId()}`;
  const namespace = `${realm}.kukeon.io`;
  const dir = await mkdtemp("/tmp/kuke-e2e-");
  const manifest = join(dir, "stack.yaml");
  const env = kukeEnv(dir, containerd);
  const hostPort = await freeLoopbackPort();
  const fixture = readFileSync(STACK_FIXTURE, "utf8").replace("127.0.0.1:18080:", `127.0.0.1:${hostPort}:`);
  let cleaned = false;
  const host: StackHost = {
    realm,
    hostPort,
    namespace,
    dir,
    manifest,
    env,
    containerd,
    kuke: (argv, opts = {}) => runKuke(argv, { env, ...opts }),
    async writeManifest(edit = (t) => t) {
      await writeFile(manifest, edit(fixture.replace(/\bdemo\b/g, realm)));
    },
    async containers() {
      const ex = createContainerdExecutor(containerd.address, { runcRoot: containerd.runcRoot });
      try {
        return new Map((await ex.listContainers(namespace)).map((c) => [c.id, c]));
      } finally {
        ex.close();
      }
    },
    idOf: (cell, container) => containerdId(containerAddress(realm, SPACE, STACK, cell, container)),
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await host.kuke(["destroy", "--auto-approve", "-f", manifest]).catch(() => undefined);
      await removeStackLeftovers(env, realm, SPACE, STACK, Object.keys(CELLS));
      await rm(dir, { recursive: true, force: true });
    },
  };
  onTeardown(`e2e host ${realm}`, () => host.cleanup());
  await host.writeManifest();
  await loadBusybox(env, dir, realm);
  return host;
}

/**
 * Loads the busybox image (harness/busybox-image.ts, its archive written to `dir`) into `realm`
 * under its own name and under each of `aliases`; throws with kuke's stderr when a load fails.
 */
export async function loadBusybox(env: KukeEnv, dir: string, realm: string, aliases: string[] = []): Promise<void> {
  const archive = await buildBusyboxArchive(dir);
  for (const name of [undefined, ...aliases]) {
    const r = await runKuke(["image", "load", archive, "--realm", realm, ...(name ? ["--name", name] : [])], { env });
    if (r.code !== 0) throw new Error(`image load${name ? ` as ${name}` : ""} failed: ${r.stderr}`);
  }
}

/** Every record file of the host's run path with its content, by path: a snapshot to compare. */
export async function recordsSnapshot(h: StackHost): Promise<string> {
  const root = join(h.env.KUKE_RUN_PATH, "records");
  const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith(".json")).sort();
  const parts = await Promise.all(files.map(async (f) => `${f}\n${await readFile(join(root, f), "utf8")}`));
  return parts.join("\n");
}

/** Waits until `check` is true (polling every 50 ms), failing after `ms`. */
export async function waitFor(what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  await until(what, async () => ((await check()) ? true : undefined), ms);
}

/** `/proc/PID/environ` as `K=V` strings. */
export async function environOf(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/environ`, "utf8")).split("\0").filter((l) => l !== "");
}

/**
 * Removes by hand what kuke may have left of one stack after a failed test or destroy: the cells'
 * attachments and pins, the space's egress rules and network, every container in the realm's
 * namespace and the realm's cgroups. Each removal ignores what is already gone.
 */
export async function removeStackLeftovers(
  env: KukeEnv,
  realm: string,
  space: string,
  stack: string,
  cells: readonly string[],
): Promise<void> {
  const net = new NetworkExecutor({ runPath: env.KUKE_RUN_PATH, runtimeDir: env.KUKE_RUNTIME_DIR });
  for (const cell of cells) {
    const a = cellAddress(realm, space, stack, cell);
    await net.detach(a).catch(() => undefined);
    await net.unpin(a).catch(() => undefined);
  }
  await net.removeEgress(realm, space).catch(() => undefined);
  await net.removeSpaceNetwork(realm, space).catch(() => undefined);
  await removeContainers(env.KUKE_CONTAINERD_ADDRESS, `${realm}.kukeon.io`);
  await (await detectCgroupDriver()).remove(cgroupPath(realm)).catch(() => undefined);
}

/** Stops and deletes every kuke container left in `namespace` (cleanup after a failed test). */
export async function removeContainers(address: string, namespace: string): Promise<void> {
  const ex = createContainerdExecutor(address);
  try {
    const left = await ex.listContainers(namespace).catch(() => []);
    for (const c of left)
      await ex.deleteContainer(namespace, c.id, { graceMs: 0, monitored: true }).catch(() => undefined);
  } finally {
    ex.close();
  }
}

export { fetchLoopback, freeLoopbackPort } from "../harness/loopback.js";
