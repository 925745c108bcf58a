import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseMountInfo, readMountInfoSync } from "../../fs/mountinfo.js";
import { KukeError } from "../../model/errors.js";
import { ContainerdClient } from "./client.js";
import { protoDir } from "./proto-codec.js";

/**
 * What `kuke init` reports about containerd and cgroups, and the containerd kuke starts itself
 * (`kuke init --managed-containerd`) on hosts that have none running. The managed daemon lives
 * entirely under kuke's paths: config/root/log under the run path, socket/state/pid file/runc
 * state under the runtime dir. It is detached, so it outlives the kuke process that started it.
 */

export const DEFAULT_CONTAINERD_ADDRESS = "/run/containerd/containerd.sock";

export interface ManagedPathsOptions {
  /** @default "/var/lib/kuke" */
  runPath?: string;
  /** @default "/run/kuke" */
  runtimeDir?: string;
}

export interface ManagedPaths {
  config: string;
  root: string;
  opt: string;
  log: string;
  state: string;
  socket: string;
  pidFile: string;
  /** runc state for containers of the managed daemon (pass to `createContainerdExecutor`). */
  runcRoot: string;
}

export function managedPaths(opts: ManagedPathsOptions = {}): ManagedPaths {
  const home = join(opts.runPath ?? "/var/lib/kuke", "containerd");
  const run = join(opts.runtimeDir ?? "/run/kuke", "containerd");
  return {
    config: join(home, "config.toml"),
    root: join(home, "root"),
    opt: join(home, "opt"),
    log: join(home, "containerd.log"),
    state: join(run, "state"),
    socket: join(run, "containerd.sock"),
    pidFile: join(run, "containerd.pid"),
    runcRoot: join(run, "runc"),
  };
}

/** How often the managed containerd's restart monitor looks for dead tasks to restart. */
export const RESTART_MONITOR_INTERVAL = "2s";

function configToml(p: ManagedPaths): string {
  return [
    "version = 2",
    `root = "${p.root}"`,
    `state = "${p.state}"`,
    // kuke talks to containerd directly; the CRI plugin would only add start-up time and sockets.
    `disabled_plugins = ["io.containerd.grpc.v1.cri"]`,
    "[grpc]",
    `  address = "${p.socket}"`,
    "[ttrpc]",
    `  address = "${p.socket}.ttrpc"`,
    `[plugins."io.containerd.internal.v1.opt"]`,
    `  path = "${p.opt}"`,
    // containerd's restart monitor enforces restartPolicy; its default 10 s check makes a crashed
    // service wait up to 10 s. A check every 2 s lists the namespace's containers, which is cheap.
    `[plugins."io.containerd.internal.v1.restart"]`,
    `  interval = "${RESTART_MONITOR_INTERVAL}"`,
    "",
  ].join("\n");
}

export interface ContainerdProbe {
  address: string;
  reachable: boolean;
  version?: string;
  revision?: string;
  /** Why it is not reachable, as a KukeError code and one line. */
  problem?: { code: string; message: string };
}

/**
 * Asks the daemon at `address` for its version; never throws. The session of a daemon that
 * answered is kept for the next client to `address` (the command's executor), not opened twice.
 */
export async function probeContainerd(address: string, timeoutMs = 2000): Promise<ContainerdProbe> {
  // A package without its protocol files is kuke's own problem, not a containerd that does not
  // answer: thrown as it is, before any call.
  protoDir();
  let client: ContainerdClient | undefined;
  let reachable = false;
  try {
    client = new ContainerdClient(address);
    const v = await client.version(timeoutMs);
    reachable = true;
    return { address, reachable: true, version: v.version, revision: v.revision };
  } catch (e) {
    const k = e instanceof KukeError ? e : new KukeError("runtime", String(e));
    return { address, reachable: false, problem: { code: k.code, message: k.message } };
  } finally {
    client?.close({ keepSession: reachable });
  }
}

export type CgroupLayout = "v2" | "hybrid" | "v1" | "none";

/** v2 (unified at /sys/fs/cgroup), hybrid (v1 controllers plus a v2 mount) or plain v1. */
export function cgroupLayout(mountinfo?: string): {
  layout: CgroupLayout;
  unifiedMount?: string;
} {
  let v1 = false;
  let unified: string | undefined;
  for (const m of mountinfo === undefined ? readMountInfoSync() : parseMountInfo(mountinfo)) {
    if (m.fsType === "cgroup") v1 = true;
    if (m.fsType === "cgroup2") unified = m.mountPoint;
  }
  if (unified && !v1) return { layout: "v2", unifiedMount: unified };
  if (unified) return { layout: "hybrid", unifiedMount: unified };
  return { layout: v1 ? "v1" : "none" };
}

export interface InitReport {
  /** The configured daemon (`--containerd-address`). */
  configured: ContainerdProbe;
  /** kuke's own daemon, when its socket exists. */
  managed?: ContainerdProbe;
  /** The address later commands will use, if any answers. */
  effectiveAddress?: string;
  cgroups: { layout: CgroupLayout; unifiedMount?: string };
}

/** Everything `kuke init` prints about containerd and cgroups. Never throws for an absent daemon. */
export async function initReport(opts: ManagedPathsOptions & { address?: string } = {}): Promise<InitReport> {
  const configured = await probeContainerd(opts.address ?? DEFAULT_CONTAINERD_ADDRESS);
  const paths = managedPaths(opts);
  const managed = existsSync(paths.socket) ? await probeContainerd(paths.socket) : undefined;
  const effectiveAddress = configured.reachable ? configured.address : managed?.reachable ? managed.address : undefined;
  return {
    configured,
    ...(managed ? { managed } : {}),
    ...(effectiveAddress ? { effectiveAddress } : {}),
    cgroups: cgroupLayout(),
  };
}

/**
 * The address commands should use: the configured one if it answers, else kuke's managed daemon
 * if that answers. Fails with `unavailable` and a remedy otherwise.
 */
export async function resolveContainerdAddress(
  opts: ManagedPathsOptions & { address?: string } = {},
): Promise<{ address: string; managed: boolean; runcRoot?: string }> {
  const configured = await probeContainerd(opts.address ?? DEFAULT_CONTAINERD_ADDRESS);
  if (configured.reachable) return { address: configured.address, managed: false };
  const paths = managedPaths(opts);
  if (existsSync(paths.socket) && (await probeContainerd(paths.socket)).reachable) {
    return { address: paths.socket, managed: true, runcRoot: paths.runcRoot };
  }
  throw new KukeError("unavailable", `containerd does not answer at ${configured.address}`, {
    detail: configured.problem?.message,
    remedy: "start containerd, pass --containerd-address, or run `kuke init --managed-containerd`",
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await readFile(file, "utf8").catch(() => "");
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export interface StartManagedOptions extends ManagedPathsOptions {
  /** @default "containerd" (from PATH) */
  binary?: string;
  /** @default 15000 */
  readyTimeoutMs?: number;
}

export interface ManagedContainerd {
  address: string;
  pid: number;
  version: string;
  revision: string;
  runcRoot: string;
  /** False when a managed daemon was already running and was reused. */
  started: boolean;
}

/**
 * Starts kuke's own containerd, detached, and waits until it answers. Idempotent: a managed daemon
 * that already answers is reused. Fails with `unavailable` (with the log tail) if it does not come up.
 */
export async function startManagedContainerd(opts: StartManagedOptions = {}): Promise<ManagedContainerd> {
  const p = managedPaths(opts);
  const running = await readPid(p.pidFile);
  if (running && alive(running)) {
    const probe = await probeContainerd(p.socket);
    if (probe.reachable) {
      return {
        address: p.socket,
        pid: running,
        version: probe.version!,
        revision: probe.revision!,
        runcRoot: p.runcRoot,
        started: false,
      };
    }
  }
  await writeManagedConfig(p);
  const logFd = openSync(p.log, "a", 0o600);
  let pid: number | undefined;
  try {
    const child = spawn(opts.binary ?? "containerd", ["--config", p.config], {
      detached: true,
      stdio: ["ignore", logFd, logFd],
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (e) =>
        reject(
          new KukeError("unavailable", "cannot start containerd", {
            detail: e.message,
            remedy: "install containerd (Debian: apt-get install containerd)",
          }),
        ),
      );
    });
    pid = child.pid!;
    child.unref();
  } finally {
    closeSync(logFd);
  }
  await writeFile(p.pidFile, `${pid}\n`, { mode: 0o600 });
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15_000);
  for (;;) {
    const probe = await probeContainerd(p.socket, 1000);
    if (probe.reachable) {
      return {
        address: p.socket,
        pid,
        version: probe.version!,
        revision: probe.revision!,
        runcRoot: p.runcRoot,
        started: true,
      };
    }
    if (!alive(pid) || Date.now() > deadline) {
      const tail = (await readFile(p.log, "utf8").catch(() => "")).trimEnd().split("\n").slice(-15).join("\n");
      if (alive(pid)) process.kill(pid, "SIGKILL");
      await rm(p.pidFile, { force: true });
      throw new KukeError("unavailable", `managed containerd did not come up at ${p.socket}`, {
        detail: tail || undefined,
        remedy: `see ${p.log}`,
      });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Makes the managed daemon's folders and writes its config (what a systemd unit starts it with too). */
export async function writeManagedConfig(p: ManagedPaths): Promise<void> {
  for (const d of [p.root, p.opt, p.state]) await mkdir(d, { recursive: true, mode: 0o700 });
  await writeFile(p.config, configToml(p), { mode: 0o600 });
}

/**
 * Waits until the managed socket answers (after systemd started the unit).
 * @throws KukeError `unavailable` when it does not within `timeoutMs`.
 */
export async function waitForManaged(p: ManagedPaths, timeoutMs = 15_000): Promise<ContainerdProbe> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = await probeContainerd(p.socket, 1000);
    if (probe.reachable) return probe;
    if (Date.now() > deadline) {
      throw new KukeError("unavailable", `managed containerd did not come up at ${p.socket}`, {
        detail: probe.problem?.message,
        remedy: "see journalctl -u kuke-containerd (or the unit kuke init names)",
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Stops kuke's managed containerd (SIGTERM, then SIGKILL after `graceMs`) and removes its pid file.
 * Containers' shims keep running, as with any containerd restart. No daemon is success.
 */
export async function stopManagedContainerd(opts: ManagedPathsOptions & { graceMs?: number } = {}): Promise<void> {
  const p = managedPaths(opts);
  const pid = await readPid(p.pidFile);
  if (pid && alive(pid)) {
    process.kill(pid, "SIGTERM");
    const end = Date.now() + (opts.graceMs ?? 5000);
    while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    if (alive(pid)) process.kill(pid, "SIGKILL");
  }
  await rm(p.pidFile, { force: true });
}
