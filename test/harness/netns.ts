/**
 * Test helpers for network namespaces: named namespaces (`ip netns`), a process in a fresh
 * namespace to stand for a cell's root task, "outside" namespaces reachable through the host over a
 * veth pair, TCP servers and probes run inside namespaces, and a leak check over every kind of host
 * object the network and cgroup executors make. Everything made here is also registered with
 * `onTeardown`, so it goes even when a test fails.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readlink, stat } from "node:fs/promises";
import { join } from "node:path";
import type { CgroupDriver } from "../../src/executors/cgroup/driver.js";
import { CgroupV1Driver } from "../../src/executors/cgroup/v1.js";
import { runCommand } from "../../src/executors/cni/host-command.js";
import type { NetworkExecutor } from "../../src/executors/cni/network-executor.js";
import type { CellAddress } from "../../src/model/address.js";
import { onTeardown } from "./teardown.js";

/** A short random suffix so names of one run never meet another run's. */
export function runId(): string {
  return randomBytes(3).toString("hex");
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await runCommand(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Deletes a named namespace; a missing one is fine. */
export async function removeNetns(name: string): Promise<void> {
  const list = await must("ip", ["netns", "list"]);
  if (list.split("\n").some((l) => l.split(" ")[0] === name)) await must("ip", ["netns", "del", name]);
}

/** `ip netns add NAME` with lo up; returns the namespace's path. */
export async function makeNetns(name: string): Promise<string> {
  onTeardown(`netns ${name}`, () => removeNetns(name));
  await must("ip", ["netns", "add", name]);
  await must("ip", ["-n", name, "link", "set", "lo", "up"]);
  return `/run/netns/${name}`;
}

/** Deletes a host link; a missing one is fine. */
export async function removeLink(name: string): Promise<void> {
  if ((await runCommand("ip", ["link", "show", "dev", name])).code === 0)
    await must("ip", ["link", "del", "dev", name]);
}

/**
 * An "outside" destination: namespace `name` joined to the host by a veth pair, the host side
 * `hostIf` holding `hostIp`/30 and the namespace side `nsIp`/30 with a default route back via the host.
 */
export async function makeOutside(name: string, hostIf: string, hostIp: string, nsIp: string): Promise<string> {
  const path = await makeNetns(name);
  onTeardown(`link ${hostIf}`, () => removeLink(hostIf));
  await must("ip", ["link", "add", hostIf, "type", "veth", "peer", "name", "eth0", "netns", name]);
  await must("ip", ["addr", "add", `${hostIp}/30`, "dev", hostIf]);
  await must("ip", ["link", "set", hostIf, "up"]);
  await must("ip", ["-n", name, "addr", "add", `${nsIp}/30`, "dev", "eth0"]);
  await must("ip", ["-n", name, "link", "set", "eth0", "up"]);
  await must("ip", ["-n", name, "route", "add", "default", "via", hostIp]);
  return path;
}

/** A process holding a fresh network namespace (a cell's root task in miniature). */
export interface NetnsHolder {
  pid: number;
  kill(): Promise<void>;
}

/** Starts `sleep` in a new network namespace and waits until it is in it. */
export async function startNetnsHolder(): Promise<NetnsHolder> {
  const child = spawn("unshare", ["--net", "--", "sleep", "3600"], { stdio: "ignore" });
  const pid = child.pid;
  if (pid === undefined) throw new Error("cannot start unshare");
  const kill = () => killChild(child);
  onTeardown(`netns holder ${pid}`, kill);
  const mine = await readlink("/proc/self/ns/net");
  for (let i = 0; i < 200; i++) {
    const theirs = await readlink(`/proc/${pid}/ns/net`).catch(() => mine);
    if (theirs !== mine) return { pid, kill };
    await new Promise((r) => setTimeout(r, 5));
  }
  await kill();
  throw new Error("unshare did not enter a new network namespace");
}

function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

/** A TCP server inside a namespace that answers every connection with `reply` and closes. */
export async function serveTcp(netnsPath: string, port: number, reply: string): Promise<NetnsHolder> {
  const code = `require("net").createServer((s)=>s.end(${JSON.stringify(reply)})).listen(${port},"0.0.0.0",()=>console.log("ready"))`;
  const child = spawn("nsenter", [`--net=${netnsPath}`, process.execPath, "-e", code], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const kill = () => killChild(child);
  onTeardown(`tcp server ${netnsPath}:${port}`, kill);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once("data", () => resolve());
    child.once("exit", (c) => reject(new Error(`tcp server in ${netnsPath} exited with ${c}`)));
  });
  return { pid: child.pid ?? 0, kill };
}

/** Connects from inside a namespace: the server's reply, or "refused" / "timeout" / "unreachable". */
export async function probeTcp(netnsPath: string, ip: string, port: number, timeoutMs = 1500): Promise<string> {
  const code = `const s=require("net").connect(${port},${JSON.stringify(ip)});let d="";
s.setTimeout(${timeoutMs},()=>{console.log("timeout");process.exit(0)});
s.on("data",(b)=>d+=b);s.on("end",()=>{console.log(d);process.exit(0)});
s.on("error",(e)=>{console.log(e.code==="ECONNREFUSED"?"refused":e.code==="EHOSTUNREACH"?"unreachable":e.code);process.exit(0)})`;
  return (await must("nsenter", [`--net=${netnsPath}`, process.execPath, "-e", code])).trim();
}

/** The IPv4 address of `ifName` inside a namespace (`ip -4 -o addr`). */
export async function addressIn(netnsPath: string, ifName: string): Promise<string | undefined> {
  const out = await must("nsenter", [`--net=${netnsPath}`, "ip", "-4", "-o", "addr", "show", "dev", ifName]);
  return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(out)?.[1];
}

export interface LeakCheckInput {
  /** A space's network, and the cells whose pins and attachment records to look for. */
  network?: { executor: NetworkExecutor; realm: string; space: string; cells?: CellAddress[] };
  cgroups?: { driver: CgroupDriver; paths: string[] };
  /** Named namespaces and host links the test made itself. */
  netns?: string[];
  links?: string[];
}

/**
 * Every leftover of a space's network (bridge, veths, IPAM files, NAT rules, egress chain, pins,
 * conflist, subnet and attachment records), of the given cgroup paths (in any v1 hierarchy, so a
 * half-removed tree counts), namespaces and links, as lines `kind: thing`. Empty means clean.
 */
export async function leakCheck(input: LeakCheckInput): Promise<string[]> {
  const out: string[] = [];
  if (input.network) {
    const { executor, realm, space, cells } = input.network;
    const leaks = await executor.leaks(realm, space, cells ?? []);
    for (const [kind, things] of Object.entries(leaks)) for (const t of things as string[]) out.push(`${kind}: ${t}`);
  }
  if (input.cgroups) {
    const { driver, paths } = input.cgroups;
    const bases = driver instanceof CgroupV1Driver ? driver.hierarchies.map((h) => h.mountPoint) : undefined;
    for (const p of paths) {
      if (bases) {
        for (const b of bases) if (await isDir(join(b, p))) out.push(`cgroup: ${b}${p}`);
      } else if (await driver.exists(p)) out.push(`cgroup: ${p}`);
    }
  }
  const named = (await must("ip", ["netns", "list"])).split("\n").map((l) => l.split(" ")[0]);
  for (const n of input.netns ?? []) if (named.includes(n)) out.push(`netns: ${n}`);
  for (const l of input.links ?? []) {
    if ((await runCommand("ip", ["link", "show", "dev", l])).code === 0) out.push(`link: ${l}`);
  }
  return out;
}

function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
