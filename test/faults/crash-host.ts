/**
 * A host for the fault-injection tests: the shared test containerd, a fresh run path and runtime
 * dir, the busybox image loaded into a unique realm, and a stack of several cells (each a
 * synthesized root and two workloads) in one space. `kuke` runs as a separate process
 * (`node dist/kuke.js`, the bin) so it can really be killed: `KUKE_FAULT_KILL_AT_JOURNAL=N` makes it
 * SIGKILL itself right after its N-th journal line (src/engine/fault-injection.ts).
 *
 * `leaks()` lists everything of the realm still on the host after a destroy: containers, tasks,
 * snapshots, leases, cgroup directories in every mounted hierarchy, network leftovers (bridge,
 * veths, IPAM files, NAT rules, egress chain, pins, conflist, subnet and attachment records),
 * kuke's records and files in the runtime dir.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { NetworkExecutor } from "../../src/executors/cni/index.js";
import { ContainerdClient } from "../../src/executors/containerd/client.js";
import { listSnapshots } from "../../src/executors/containerd/snapshots.js";
import { listTasks } from "../../src/executors/containerd/tasks.js";
import { type CellAddress, cellAddress } from "../../src/model/index.js";
import { buildBusyboxArchive } from "../harness/busybox-image.js";
import { sharedContainerd, type TestContainerd } from "../harness/containerd.js";
import { KUKE_MAIN } from "../harness/kuke-process.js";
import { runId } from "../harness/netns.js";
import { onTeardown } from "../harness/teardown.js";

const CLI = KUKE_MAIN;

export const SPACE = "net";
export const STACK = "app";

export interface ProcessRun {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CrashHost {
  realm: string;
  namespace: string;
  manifest: string;
  cells: string[];
  env: Record<string, string>;
  /** Runs `kuke ARGV` as its own process; `killAt` sets KUKE_FAULT_KILL_AT_JOURNAL. */
  kuke(argv: string[], killAt?: number): Promise<ProcessRun>;
  /** Lines of the newest journal file (the apply or destroy that ran last). */
  lastJournalLines(): Promise<number>;
  /** Everything of the realm left on the host, one line per object; empty means clean. */
  leaks(): Promise<string[]>;
  cleanup(): Promise<void>;
}

/** The stack: `cells` cells of two busybox workloads each (kuke adds a pause root to each). */
function manifestText(realm: string, cells: string[]): string {
  const docs = [
    `apiVersion: v1beta1\nkind: Realm\nmetadata:\n  name: ${realm}\n`,
    `apiVersion: v1beta1\nkind: Space\nmetadata:\n  name: ${SPACE}\nspec:\n  realmId: ${realm}\n`,
    `apiVersion: v1beta1\nkind: Stack\nmetadata:\n  name: ${STACK}\nspec:\n  realmId: ${realm}\n  spaceId: ${SPACE}\n`,
  ];
  for (const cell of cells) {
    docs.push(
      [
        "apiVersion: v1beta1",
        "kind: Cell",
        "metadata:",
        `  name: ${cell}`,
        "spec:",
        `  realmId: ${realm}`,
        `  spaceId: ${SPACE}`,
        `  stackId: ${STACK}`,
        "  containers:",
        "    - id: main",
        "      image: docker.io/library/busybox:latest",
        "      command: sleep",
        '      args: ["3600"]',
        "    - id: side",
        "      image: docker.io/library/busybox:latest",
        "      command: sleep",
        '      args: ["3600"]',
        "",
      ].join("\n"),
    );
  }
  return docs.join("---\n");
}

export async function crashHost(label: string, cellCount: number): Promise<CrashHost> {
  const ctd: TestContainerd = await sharedContainerd();
  const realm = `${label}${runId()}`;
  const namespace = `${realm}.kukeon.io`;
  const dir = await mkdtemp(`/tmp/kuke-${label}-`);
  const manifest = join(dir, "stack.yaml");
  const cells = Array.from({ length: cellCount }, (_, i) => `c${i + 1}`);
  const runPath = join(dir, "run");
  const runtimeDir = join(dir, "runtime");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    KUKE_RUN_PATH: runPath,
    KUKE_RUNTIME_DIR: runtimeDir,
    KUKE_CONTAINERD_ADDRESS: ctd.address,
    KUKE_RUNC_ROOT: ctd.runcRoot,
    NO_COLOR: "1",
  };
  await writeFile(manifest, manifestText(realm, cells));
  const client = new ContainerdClient(ctd.address);
  const net = new NetworkExecutor({ runPath, runtimeDir });
  const cellAddresses: CellAddress[] = cells.map((c) => cellAddress(realm, SPACE, STACK, c));
  let cleaned = false;

  const kuke: CrashHost["kuke"] = (argv, killAt) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...argv], {
        env: killAt !== undefined ? { ...env, KUKE_FAULT_KILL_AT_JOURNAL: String(killAt) } : env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (b: Buffer) => {
        stdout += b.toString();
      });
      child.stderr.on("data", (b: Buffer) => {
        stderr += b.toString();
      });
      child.once("error", reject);
      child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });

  const host: CrashHost = {
    realm,
    namespace,
    manifest,
    cells,
    env,
    kuke,
    async lastJournalLines() {
      const dirPath = join(runPath, "journal");
      const names = (await readdir(dirPath)).filter((n) => n.endsWith(".jsonl")).sort();
      const last = names[names.length - 1];
      if (last === undefined) return 0;
      return readFileSync(join(dirPath, last), "utf8")
        .split("\n")
        .filter((l) => l !== "").length;
    },
    async leaks() {
      const out: string[] = [];
      const call = { namespace };
      const containers = await client
        .unary<{ containers: { id: string }[] }>("containers", "List", { filters: [] }, call)
        .catch(() => ({ containers: [] }));
      out.push(...containers.containers.map((c) => `container: ${c.id}`));
      out.push(...(await listTasks(client, call).catch(() => [])).map((t) => `task: ${t.id}`));
      // Committed snapshots are the image's layers (the image stays loaded); anything else is kuke's.
      const snapshots = await listSnapshots(client, call).catch(() => []);
      out.push(...snapshots.filter((s) => s.kind !== "COMMITTED").map((s) => `snapshot: ${s.name} (${s.kind})`));
      const leases = await client
        .unary<{ leases: { id: string }[] }>("leases", "List", { filters: [] }, call)
        .catch(() => ({ leases: [] }));
      out.push(...leases.leases.map((l) => `lease: ${l.id}`));
      for (const mount of cgroupMounts()) {
        const p = join(mount, "kukeon", realm);
        if (await isDir(p)) out.push(`cgroup: ${p}`);
      }
      const network = await net.leaks(realm, SPACE, cellAddresses);
      for (const [kind, things] of Object.entries(network))
        for (const t of things as string[]) out.push(`${kind}: ${t}`);
      out.push(...(await filesUnder(join(runPath, "records"))).map((f) => `record: ${f}`));
      out.push(...(await filesUnder(runtimeDir)).map((f) => `runtime file: ${f}`));
      return out;
    },
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await kuke(["destroy", "--auto-approve", "-f", manifest]).catch(() => undefined);
      for (const c of cellAddresses) {
        await net.detach(c).catch(() => undefined);
        await net.unpin(c).catch(() => undefined);
      }
      await net.removeSpaceNetwork(realm, SPACE).catch(() => undefined);
      await kuke(["purge", "realm", realm, "--cascade", "--force"]).catch(() => undefined);
      for (const i of await client
        .unary<{ images: { name: string }[] }>("images", "List", { filters: [] }, { namespace })
        .then((r) => r.images)
        .catch(() => [])) {
        await client.unary("images", "Delete", { name: i.name, sync: true }, { namespace }).catch(() => undefined);
      }
      await client.unary("namespaces", "Delete", { name: namespace }, { namespace }).catch(() => undefined);
      client.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  onTeardown(`crash host ${realm}`, () => host.cleanup());
  const load = await kuke(["image", "load", await buildBusyboxArchive(dir), "--realm", realm]);
  if (load.code !== 0) throw new Error(`image load failed: ${load.stderr}`);
  return host;
}

/** Mount points of every cgroup hierarchy (v1 controllers, named ones, the unified one). */
function cgroupMounts(): string[] {
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" "))
    .filter((f) => f[2] === "cgroup" || f[2] === "cgroup2")
    .map((f) => f[1] as string);
}

function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Regular files (and anything not a directory) below `dir`, recursively; a missing dir has none. */
async function filesUnder(dir: string): Promise<string[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}
