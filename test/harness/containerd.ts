/**
 * A private containerd for tests and benchmarks: its own config, root, state and sockets under a
 * fresh /tmp/kuke-ctd-XXXX directory, never the system daemon's. `stop()` leaves nothing behind:
 * container processes, shims, mounts and directories are removed even if tests failed midway.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ContainerdClient } from "../../src/executors/containerd/client.js";
import { listNamespaces } from "../../src/executors/containerd/namespaces.js";
import { setRestartStatus } from "../../src/executors/containerd/restart-monitor.js";
import { listTasks, stopTask } from "../../src/executors/containerd/tasks.js";
import { onTeardown } from "./teardown.js";

const run = promisify(execFile);

export interface TestContainerd {
  /** gRPC address, `unix:///tmp/kuke-ctd-…/containerd.sock`. */
  address: string;
  socketPath: string;
  root: string;
  state: string;
  /** The temporary directory holding everything else. */
  dir: string;
  /** runc state directory to give the executor (`createContainerdExecutor(…, { runcRoot })`). */
  runcRoot: string;
  stop(): Promise<void>;
  /**
   * Kills the daemon (SIGKILL; shims and containers keep running), waits `downMs` with its socket
   * gone, runs `whileDown` (a test's change to the daemon's files), and starts it again on the same
   * config, root, state and socket; resolves once it answers.
   */
  restart(downMs?: number, whileDown?: () => Promise<void>): Promise<void>;
}

function configToml(dir: string, restartInterval: string): string {
  return [
    "version = 2",
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    `disabled_plugins = ["io.containerd.grpc.v1.cri"]`,
    "[grpc]",
    `  address = "${dir}/containerd.sock"`,
    "[ttrpc]",
    `  address = "${dir}/containerd.sock.ttrpc"`,
    `[plugins."io.containerd.internal.v1.opt"]`,
    `  path = "${dir}/opt"`,
    // The restart monitor checks every second, so restart tests wait about a second, not ten.
    `[plugins."io.containerd.internal.v1.restart"]`,
    `  interval = "${restartInterval}"`,
    "",
  ].join("\n");
}

function logTail(path: string, lines = 25): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Pids whose command line mentions `needle` (shims carry the daemon's socket path as `-address`). */
function pidsWithCmdline(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmd.includes(needle)) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Field 4 (ppid) follows the parenthesized command, which may itself hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

async function waitGone(pids: number[], ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && pids.some((p) => existsSync(`/proc/${p}`))) await sleep(20);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Mount points at or below `dir`, deepest first, from this process's mount table. */
function mountsUnder(dir: string): string[] {
  const points = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)))
    .map((p) => p.replace(/\\040/g, " "));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Kills and deletes every task in every namespace of the daemon, bounded in time. */
async function deleteAllTasks(socketPath: string): Promise<void> {
  const client = new ContainerdClient(socketPath);
  try {
    const all = (async () => {
      for (const ns of await listNamespaces(client)) {
        const call = { namespace: ns.name, timeoutMs: 5000 };
        const tasks = await listTasks(client, call);
        // Taken back from the restart monitor first, or it starts them again before the daemon stops.
        await Promise.all(tasks.map((t) => setRestartStatus(client, call, t.id, undefined).catch(() => undefined)));
        await Promise.all(tasks.map((t) => stopTask(client, call, t.id, { graceMs: 0 }).catch(() => undefined)));
      }
    })();
    await Promise.race([all, sleep(10_000)]);
  } finally {
    client.close();
  }
}

export async function startContainerd(
  opts: {
    readyTimeoutMs?: number;
    /** The restart monitor's interval (Go duration). @default "1s" */
    restartInterval?: string;
  } = {},
): Promise<TestContainerd> {
  const dir = await mkdtemp("/tmp/kuke-ctd-");
  const socketPath = join(dir, "containerd.sock");
  const logPath = join(dir, "containerd.log");
  await writeFile(join(dir, "config.toml"), configToml(dir, opts.restartInterval ?? "1s"));

  // The daemon process now running; `restart` replaces it (same config, root, state and socket).
  let child!: ChildProcess;
  let exited = false;
  const spawnDaemon = () => {
    const logFd = openSync(logPath, "a");
    try {
      child = spawn("containerd", ["--config", join(dir, "config.toml"), "--log-level", "info"], {
        stdio: ["ignore", logFd, logFd],
      });
    } finally {
      closeSync(logFd);
    }
    exited = false;
    const mine = child;
    mine.on("exit", () => {
      if (child === mine) exited = true;
    });
    mine.on("error", () => {
      if (child === mine) exited = true;
    });
  };

  const stop = async (): Promise<void> => {
    // Tasks deleted through the daemon let their shims remove their sockets (under
    // /run/containerd/s on 1.6, whatever our state dir is); killed shims would leave them behind.
    if (!exited) await deleteAllTasks(socketPath).catch(() => undefined);
    // Container processes first: they are children of their shims and would outlive them.
    const shims = pidsWithCmdline(socketPath).filter((p) => p !== child.pid);
    const workloads = shims.flatMap(childrenOf);
    for (const p of workloads) kill(p, "SIGKILL");
    await waitGone(workloads, 2000);
    for (const p of shims) kill(p, "SIGKILL");
    await waitGone(shims, 2000);
    if (!exited && child.pid) {
      kill(child.pid, "SIGTERM");
      await waitGone([child.pid], 5000);
      if (existsSync(`/proc/${child.pid}`)) {
        kill(child.pid, "SIGKILL");
        await waitGone([child.pid], 2000);
      }
    }
    for (const m of mountsUnder(dir)) {
      await run("umount", ["-l", m]).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const waitReady = async (): Promise<void> => {
    const client = new ContainerdClient(socketPath);
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 15_000);
    try {
      for (;;) {
        if (exited) throw new Error(`containerd exited during start-up; log tail:\n${logTail(logPath)}`);
        if (existsSync(socketPath)) {
          try {
            await client.version(1000);
            break;
          } catch {
            // not answering yet
          }
        }
        if (Date.now() > deadline) {
          throw new Error(`containerd at ${socketPath} did not answer in time; log tail:\n${logTail(logPath)}`);
        }
        await sleep(50);
      }
    } finally {
      client.close();
    }
  };

  spawnDaemon();
  try {
    await waitReady();
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    address: `unix://${socketPath}`,
    socketPath,
    root: join(dir, "root"),
    state: join(dir, "state"),
    dir,
    runcRoot: join(dir, "runc"),
    stop,
    async restart(downMs = 0, whileDown?: () => Promise<void>) {
      // SIGKILL, as a crash or an OOM kill would: shims and their containers live on, and the new
      // daemon reconnects to them from its state dir.
      const old = child;
      if (!exited && old.pid) {
        kill(old.pid, "SIGKILL");
        await waitGone([old.pid], 5000);
      }
      exited = true;
      await rm(socketPath, { force: true });
      if (downMs > 0) await sleep(downMs);
      await whileDown?.();
      spawnDaemon();
      await waitReady();
    },
  };
}

let shared: Promise<TestContainerd> | undefined;

/** One daemon for the whole test run, started on first use and stopped by the run's teardown. */
export function sharedContainerd(): Promise<TestContainerd> {
  if (!shared) {
    shared = startContainerd();
    onTeardown("shared containerd", async () => {
      const c = await shared!.catch(() => undefined);
      await c?.stop();
    });
  }
  return shared;
}

/**
 * The smallest OCI runtime spec runc accepts for a busybox process in its own pid, ipc, uts,
 * mount and network namespaces, placed in `cgroupsPath`. For executor tests and benchmarks that
 * should not depend on the spec builder.
 */
export function minimalOciSpec(args: string[], cgroupsPath: string): object {
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
      cwd: "/",
      noNewPrivileges: true,
    },
    root: { path: "rootfs", readonly: false },
    hostname: "test",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
      {
        destination: "/dev",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
      },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    ],
    linux: {
      namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "network" }],
      cgroupsPath,
    },
  };
}

/**
 * `ctr` against the test daemon in namespace `ns`. `ctr run` gets `--runc-root` inside the daemon's
 * temporary dir, so runc's state never lands in the host's `/run/containerd/runc`.
 */
export function ctrFor(ctd: TestContainerd, ns: string) {
  return (...args: string[]) => {
    const argv = args[0] === "run" ? ["run", "--runc-root", ctd.runcRoot, ...args.slice(1)] : args;
    return run("ctr", ["-a", ctd.socketPath, "-n", ns, ...argv], { timeout: 60_000 });
  };
}
