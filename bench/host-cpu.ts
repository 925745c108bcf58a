/**
 * The host's CPU spent on one command, by process name (`npm run bench -- apply --host-cpu`):
 * `perf record -a` with a cpu-clock sample every 1 ms of CPU time on every core, enabled only
 * while the command runs (perf's control fd), then each sample attributed to a process. Counted:
 * the command's process tree (every process it forked, recorded by perf's fork events, so
 * short-lived ones such as CNI plugins, `mount` or `runc` are counted too, and a daemonized one
 * such as a shim or conmon stays attributed after it is reparented), plus processes that were
 * already running and belong to the tool (its containerd, its shims and everything under them,
 * matched by command line before the window opens). Everything else on the machine (other
 * users' load, kernel threads) is summed apart. Needs root and `perf` (Debian: linux-perf).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

/** CPU ms by process name, for the tool's own processes; `other` and `idle` for the rest of the host. */
export interface HostCpuBreakdown {
  byName: Map<string, number>;
  /** The tool's processes together, ms. */
  toolMs: number;
  /** Every other non-idle sample on the host (other users, kernel threads), ms. */
  otherMs: number;
  idleMs: number;
}

/** One sample per 1,000,000 ns of cpu-clock: each sample is 1 ms of CPU. */
const PERIOD_NS = 1_000_000;

/**
 * A perf session for one window. `belongs(cmdline)` picks the already-running processes that are
 * the tool's (with all their descendants); processes forked inside the window by them or by this
 * bench process (except perf) are the tool's too.
 */
export class HostCpuWindow {
  private constructor(
    private readonly perf: ChildProcess,
    private readonly dir: string,
    private readonly roots: Set<number>,
  ) {}

  static async open(belongs: (cmdline: string) => boolean): Promise<HostCpuWindow> {
    const dir = await mkdtemp("/tmp/kuke-bench-perf-");
    const perf = spawn(
      "perf",
      [
        "record",
        "-q",
        "-a",
        "-e",
        "cpu-clock",
        "-c",
        String(PERIOD_NS),
        "-D",
        "-1",
        "--control",
        "fd:3,4",
        "-o",
        join(dir, "perf.data"),
      ],
      { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] },
    );
    let stderr = "";
    perf.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<never>((_, reject) =>
      perf.once("exit", (code) => reject(new Error(`perf record exited ${code}: ${stderr}`))),
    );
    exited.catch(() => undefined);
    const roots = new Set<number>([process.pid]);
    for (const pid of toolProcesses(belongs)) roots.add(pid);
    const w = new HostCpuWindow(perf, dir, roots);
    await Promise.race([w.control("enable"), exited]);
    return w;
  }

  /** Closes the window and reads the samples. */
  async close(): Promise<HostCpuBreakdown> {
    await this.control("disable");
    const done = new Promise<void>((resolve) => this.perf.once("exit", () => resolve()));
    this.perf.kill("SIGINT");
    await done;
    try {
      const text = await capture("perf", [
        "script",
        "-i",
        join(this.dir, "perf.data"),
        "--show-task-events",
        "-F",
        "pid,tid,comm",
      ]);
      return attribute(text, this.roots, this.perf.pid ?? -1);
    } finally {
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  /** Sends a control command and waits for perf's `ack`. */
  private control(cmd: string): Promise<void> {
    const ctl = this.perf.stdio[3] as Writable;
    const ack = this.perf.stdio[4] as Readable;
    return new Promise((resolve) => {
      const onData = (b: Buffer) => {
        if (b.toString().includes("ack")) {
          ack.off("data", onData);
          resolve();
        }
      };
      ack.on("data", onData);
      ctl.write(`${cmd}\n`);
    });
  }
}

/** Running processes whose command line `belongs` says are the tool's, and all their descendants. */
function toolProcesses(belongs: (cmdline: string) => boolean): number[] {
  const parent = new Map<number, number>();
  const picked = new Set<number>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      parent.set(pid, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      if (belongs(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "))) picked.add(pid);
    } catch {
      // gone
    }
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!picked.has(pid) && picked.has(ppid)) {
        picked.add(pid);
        grew = true;
      }
    }
  }
  return [...picked];
}

const FORK = /PERF_RECORD_FORK\((\d+):(\d+)\):\((\d+):(\d+)\)/;
const EXEC = /PERF_RECORD_COMM exec: (.*):(\d+)\/(\d+)\s*$/;
const SAMPLE = /^\s*(.*?)\s+(\d+)\/(\d+)\s*$/;

/** Reads `perf script --show-task-events` output in time order. */
function attribute(text: string, roots: Set<number>, perfPid: number): HostCpuBreakdown {
  const tool = new Set(roots);
  const name = new Map<number, string>();
  const byName = new Map<string, number>();
  let toolMs = 0;
  let otherMs = 0;
  let idleMs = 0;
  for (const line of text.split("\n")) {
    const fork = FORK.exec(line);
    if (fork) {
      const [child, ppid] = [Number(fork[1]), Number(fork[3])];
      // A new process (not a thread) of a tool process is the tool's; perf itself is not.
      if (tool.has(ppid) && child !== perfPid && fork[1] === fork[2]) tool.add(child);
      continue;
    }
    const exec = EXEC.exec(line);
    if (exec) {
      if (exec[2] === exec[3]) name.set(Number(exec[2]), exec[1] as string);
      continue;
    }
    if (line.includes("PERF_RECORD_")) continue;
    const s = SAMPLE.exec(line);
    if (!s) continue;
    const pid = Number(s[2]);
    if (pid === 0) {
      idleMs += PERIOD_NS / 1e6;
      continue;
    }
    if (!tool.has(pid) || pid === process.pid) {
      otherMs += PERIOD_NS / 1e6;
      continue;
    }
    const n = groupName(name.get(pid) ?? (s[1] as string));
    byName.set(n, (byName.get(n) ?? 0) + PERIOD_NS / 1e6);
    toolMs += PERIOD_NS / 1e6;
  }
  return { byName, toolMs, otherMs, idleMs };
}

/** One name per program: runc's re-exec stages and thread names of one binary fold together. */
function groupName(comm: string): string {
  if (comm.startsWith("runc") || comm === "exe") return "runc"; // runc re-executes itself as /proc/self/exe
  if (comm.startsWith("containerd-shim")) return "containerd-shim";
  return comm;
}

function capture(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "ignore"] });
    const out: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(Buffer.concat(out).toString("utf8")) : reject(new Error(`${cmd} exited ${code}`)),
    );
  });
}
