/**
 * `kuke init`: reports what kuke needs of the host (containerd, CNI plugins, cgroups, run path),
 * creates kuke's root cgroup, optionally starts kuke's own containerd, and creates realm `default`.
 */
import { detectCgroupDriver } from "../../executors/cgroup/index.js";
import { type CniBootstrapReport, NetworkExecutor } from "../../executors/cni/index.js";
import {
  type CgroupLayout,
  type ContainerdProbe,
  initReport,
  type ManagedPaths,
  managedPaths,
  startManagedContainerd,
  stopManagedContainerd,
  waitForManaged,
  writeManagedConfig,
} from "../../executors/containerd/managed.js";
import {
  containerdBinary,
  hostSystemd,
  installManagedUnit,
  managedUnitState,
  type Systemd,
  type UnitState,
} from "../../executors/containerd/managed-unit.js";
import { cgroupPath } from "../../model/index.js";
import { ensureDir } from "../../state/index.js";
import type { HostPaths } from "../host-paths.js";

export interface InitOptions extends HostPaths {
  /** Start kuke's own containerd when none answers. @default false */
  managedContainerd?: boolean;
  /**
   * With `managedContainerd`, on a systemd host, install and enable a unit that keeps the managed
   * daemon up across crashes and reboots. @default true
   */
  unit?: boolean;
  /** The host's systemd (tests pass a fake). @default hostSystemd() */
  systemd?: Systemd;
  /**
   * Creates realm `default` through plan + apply once containerd answers (injected so `init` does
   * not depend on how apply is wired; see `initHost` in `operations/init-realm.ts`).
   */
  createDefaultRealm?: (containerdAddress: string) => Promise<DefaultRealmOutcome>;
}

export type DefaultRealmOutcome = { status: "created" | "present" } | { status: "failed"; error: unknown };

export interface InitResult {
  runPath: string;
  runtimeDir: string;
  containerd: {
    configured: ContainerdProbe;
    managed?: ContainerdProbe;
    /** The address later commands will use; undefined when no containerd answers. */
    effectiveAddress?: string;
    /** Set when this run started kuke's managed containerd. */
    startedManaged?: { address: string; pid: number };
    /** The systemd unit of the managed daemon, when one is in use or asked for. */
    unit?: UnitState;
  };
  cni: CniBootstrapReport;
  cgroups: { layout: CgroupLayout; unifiedMount?: string; driver: "v1" | "v2"; root: string };
  defaultRealm?: DefaultRealmOutcome;
}

/**
 * Bootstraps the host. Never fails for a missing containerd or plugin (that is what it reports);
 * fails only when it cannot create the run path or the root cgroup, or the managed daemon does not start.
 */
export async function initHost(o: InitOptions): Promise<InitResult> {
  await ensureDir(o.runPath);
  const driver = await detectCgroupDriver();
  // cgroupPath() with no names is the root of kuke's tree, spelled with a trailing slash.
  const root = cgroupPath().replace(/\/$/, "");
  await driver.ensure(root);
  const cni = await new NetworkExecutor({ runPath: o.runPath, runtimeDir: o.runtimeDir }).bootstrap();
  const report = await initReport({ address: o.containerdAddress, runPath: o.runPath, runtimeDir: o.runtimeDir });
  const containerd: InitResult["containerd"] = {
    configured: report.configured,
    ...(report.managed ? { managed: report.managed } : {}),
    ...(report.effectiveAddress ? { effectiveAddress: report.effectiveAddress } : {}),
  };
  const systemd = o.systemd ?? hostSystemd();
  const mp = managedPaths({ runPath: o.runPath, runtimeDir: o.runtimeDir });
  const unitOf = { paths: mp, runPath: o.runPath, containerd: containerdBinary() };
  const usesManaged = containerd.effectiveAddress === undefined || containerd.effectiveAddress === mp.socket;
  if (o.managedContainerd && usesManaged && o.unit !== false && systemd.running()) {
    containerd.unit = await startManagedUnit(systemd, mp, unitOf, o);
    const probe = await waitForManaged(mp);
    containerd.effectiveAddress = mp.socket;
    containerd.managed = probe;
  } else if (o.managedContainerd && containerd.effectiveAddress === undefined) {
    const m = await startManagedContainerd({ runPath: o.runPath, runtimeDir: o.runtimeDir });
    containerd.effectiveAddress = m.address;
    containerd.managed = { address: m.address, reachable: true, version: m.version, revision: m.revision };
    if (m.started) containerd.startedManaged = { address: m.address, pid: m.pid };
  }
  if (containerd.unit === undefined && (o.managedContainerd || containerd.effectiveAddress === mp.socket)) {
    containerd.unit =
      o.managedContainerd && o.unit === false
        ? { kind: "skipped", name: (await managedUnitState(systemd, unitOf)).name }
        : await managedUnitState(systemd, unitOf);
  }
  const result: InitResult = {
    runPath: o.runPath,
    runtimeDir: o.runtimeDir,
    containerd,
    cni,
    cgroups: { ...report.cgroups, driver: driver.version, root },
  };
  if (containerd.effectiveAddress !== undefined && o.createDefaultRealm) {
    result.defaultRealm = await o.createDefaultRealm(containerd.effectiveAddress);
  }
  return result;
}

/**
 * Hands the managed daemon to systemd: a daemon kuke started detached earlier holds the socket
 * the unit's daemon needs, so it is stopped first (containers' shims outlive it, as with any
 * containerd restart); then the unit is written, enabled and started.
 */
async function startManagedUnit(
  systemd: Systemd,
  mp: ManagedPaths,
  unitOf: { paths: ManagedPaths; runPath: string; containerd: string },
  o: InitOptions,
): Promise<UnitState> {
  await stopManagedContainerd({ runPath: o.runPath, runtimeDir: o.runtimeDir });
  await writeManagedConfig(mp);
  return installManagedUnit(systemd, unitOf);
}
