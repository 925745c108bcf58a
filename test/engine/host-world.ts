/**
 * A kuke world on the real host for engine and refresh tests: the harness containerd, a temporary
 * run path and runtime dir, a subnet pool and realm name of this run's own, the busybox image
 * loaded into the realm's namespace, and one function per verb (refresh, plan, apply). `destroy`
 * is the engine's; `forceCleanup` removes everything by hand and is registered at teardown, so a
 * failing test leaves nothing behind either.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type ExecuteResult, executeSteps } from "../../src/engine/execute.js";
import type { Host } from "../../src/engine/host.js";
import { NetworkExecutor } from "../../src/executors/cni/network-executor.js";
import { imageLoad } from "../../src/executors/containerd/image-commands.js";
import {
  type ActualState,
  addressPath,
  type CellAddress,
  cgroupPath,
  type DesiredState,
  defaultNamespace,
  type KukeError,
  parseAddress,
} from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import { planToSteps } from "../../src/planner/steps.js";
import type { Plan } from "../../src/planner/types.js";
import { refresh, refreshScopeOf } from "../../src/refresh/refresh.js";
import { openHost } from "../../src/runner/open-host.js";
import { BUSYBOX_IMAGE, buildBusyboxArchive } from "../harness/busybox-image.js";
import { sharedContainerd } from "../harness/containerd.js";
import { leakCheck, runId } from "../harness/netns.js";
import { onTeardown } from "../harness/teardown.js";

const exec = promisify(execFile);

export interface HostWorld {
  realm: string;
  namespace: string;
  host: Host;
  /** A second network executor over the same paths, for leak checks. */
  net: NetworkExecutor;
  refresh(desired: DesiredState): Promise<ActualState>;
  plan(desired: DesiredState, opts?: { destroy?: boolean }): Promise<{ actual: ActualState; plan: Plan }>;
  apply(desired: DesiredState, opts?: { destroy?: boolean }): Promise<{ plan: Plan; result: ExecuteResult }>;
  /**
   * Everything of this world still on the host (empty after a clean destroy). Images the test
   * loaded (`loadedImages`) are the user's: destroy keeps them and the namespace that holds them.
   */
  leaks(desired: DesiredState): Promise<string[]>;
  /** Image names the test loaded into the realm's namespace (busybox from the start). */
  loadedImages: Set<string>;
  /** Loads the busybox archive into the realm's namespace, under `name` if given. */
  loadImage(name?: string): Promise<void>;
  forceCleanup(): Promise<void>;
}

export async function hostWorld(label: string): Promise<HostWorld> {
  const ctd = await sharedContainerd();
  const realm = `kt${runId()}`;
  const namespace = defaultNamespace(realm);
  const octet = 100 + Math.floor(Math.random() * 140);
  const subnetPool = `10.${octet}.0.0/16`;
  const runPath = await mkdtemp(join(tmpdir(), `kt-${label}-run-`));
  const runtimeDir = await mkdtemp(join(tmpdir(), `kt-${label}-rt-`));
  const host = await openHost({
    runPath,
    runtimeDir,
    containerdAddress: ctd.socketPath,
    runcRoot: ctd.runcRoot,
    subnetPool,
  });
  const net = new NetworkExecutor({ runPath, runtimeDir, subnetPool });
  let desiredSeen: DesiredState | undefined;
  let cleaned = false;

  const world: HostWorld = {
    realm,
    namespace,
    host,
    net,
    loadedImages: new Set([BUSYBOX_IMAGE]),
    async loadImage(name) {
      const dir = await mkdtemp(join(tmpdir(), `kt-${label}-img-`));
      try {
        const r = await imageLoad(
          { address: ctd.socketPath, namespace },
          await buildBusyboxArchive(dir),
          name !== undefined ? { name } : {},
        );
        world.loadedImages.add(r.name);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    async refresh(desired) {
      desiredSeen = desired;
      const warnings: KukeError[] = [];
      const actual = await refresh(host, { ...refreshScopeOf(desired), onWarning: (w) => warnings.push(w) });
      if (warnings.length > 0) throw new Error(`refresh warnings: ${warnings.map((w) => w.message).join("; ")}`);
      return actual;
    },
    async plan(desired, opts = {}) {
      const actual = await world.refresh(desired);
      const p = plan(desired, actual, {
        project: "kt",
        prune: false,
        targets: [],
        replace: [],
        destroy: opts.destroy ?? false,
        refresh: true,
        now: new Date().toISOString(),
      });
      return { actual, plan: p };
    },
    async apply(desired, opts = {}) {
      const { actual, plan: p } = await world.plan(desired, opts);
      const steps = planToSteps(p, desired, actual);
      const result = await executeSteps(host, steps, { stopGraceMs: 2000, journalMeta: { test: label } });
      return { plan: p, result };
    },
    async leaks(desired) {
      const cells = desired.cells.map(
        (c) => parseAddress(`cell/${c.realm}/${c.space}/${c.stack}/${c.name}`) as CellAddress,
      );
      const paths = [...new Set(cellPaths(desired))];
      const out: string[] = [];
      for (const s of desired.spaces) {
        out.push(
          ...(await leakCheck({
            network: { executor: net, realm, space: s.name, cells: cells.filter((c) => c.space === s.name) },
          })),
        );
      }
      out.push(...(await leakCheck({ cgroups: { driver: host.cgroups, paths } })));
      const containers = await host.containerd.listContainers(namespace).catch(() => []);
      out.push(...containers.map((c) => `container: ${c.id}`));
      if ((await host.inventory.namespaces()).includes(namespace)) {
        const images = (await host.containerd.listImages(namespace)).map((i) => i.name);
        out.push(...images.filter((n) => !world.loadedImages.has(n)).map((n) => `image: ${n}`));
        if (images.length === 0) out.push(`namespace: ${namespace} (empty, yet not deleted)`);
      }
      const records = await host.records.loadAll();
      out.push(
        ...records.records.map((r) => `record: ${r.address}`),
        ...records.corrupt.map((c) => `record: ${c.file}`),
      );
      // Empty folders (netns/, secrets/) are the runtime dir's layout, not leftovers.
      const pins = await exec("find", [runtimeDir, "-mindepth", "1", "-not", "-type", "d"]).then((r) =>
        r.stdout.trim(),
      );
      if (pins !== "") out.push(...pins.split("\n").map((p) => `runtime file: ${p}`));
      return out;
    },
    async forceCleanup() {
      if (cleaned) return;
      cleaned = true;
      const desired = desiredSeen;
      for (const c of await host.containerd.listContainers(namespace).catch(() => [])) {
        await host.containerd.deleteContainer(namespace, c.id, { graceMs: 0 }).catch(() => undefined);
      }
      for (const c of desired?.cells ?? []) {
        const cell = parseAddress(`cell/${c.realm}/${c.space}/${c.stack}/${c.name}`) as CellAddress;
        await net.detach(cell).catch(() => undefined);
        await net.unpin(cell).catch(() => undefined);
      }
      for (const s of desired?.spaces ?? []) await net.removeSpaceNetwork(realm, s.name).catch(() => undefined);
      await host.cgroups.remove(cgroupPath(realm)).catch(() => undefined);
      for (const i of await host.containerd.listImages(namespace).catch(() => [])) {
        await host.containerd.removeImage(namespace, i.name).catch(() => undefined);
      }
      await host.containerd.deleteNamespace(namespace).catch(() => undefined);
      host.close();
      await rm(runPath, { recursive: true, force: true });
      await rm(runtimeDir, { recursive: true, force: true });
    },
  };
  onTeardown(`kuke world ${realm}`, () => world.forceCleanup());

  await world.loadImage();
  return world;
}

/** Cgroup paths of every resource of `desired`, outermost first. */
export function cellPaths(desired: DesiredState): string[] {
  const out: string[] = [];
  for (const r of desired.realms) out.push(cgroupPath(r.name));
  for (const s of desired.spaces) out.push(cgroupPath(s.realm, s.name));
  for (const s of desired.stacks) out.push(cgroupPath(s.realm, s.space, s.name));
  for (const c of desired.cells) {
    const a = parseAddress(`cell/${c.realm}/${c.space}/${c.stack}/${c.name}`);
    out.push(cgroupPath(...addressPath(a)), ...c.spec.containers.map((k) => cgroupPath(...addressPath(a), k.id)));
  }
  return out;
}

/** `busybox wget` from the host, inside network namespace `netnsPath` (a cell's pin): HTTP body or error text. */
export async function httpGetFrom(netnsPath: string, url: string): Promise<string> {
  try {
    const r = await exec("nsenter", [`--net=${netnsPath}`, "busybox", "wget", "-q", "-O", "-", url], { timeout: 5000 });
    return r.stdout.trim();
  } catch (e) {
    return `error: ${(e as { stderr?: string }).stderr?.trim() ?? String(e)}`;
  }
}
