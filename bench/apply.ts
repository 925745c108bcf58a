/**
 * `npm run bench -- apply [--cells 10,50] [--parallelism N] [--timings] [--phases] [--profile DIR] [--podman]`: kuke apply /
 * no-op plan / destroy of N cells (a
 * synthesized pause root + 2 busybox containers each, one space, one stack) on a private
 * containerd with temporary run path and runtime dir, against the same containerd operations done
 * one after another with the containerd executor in the same run (create+start root and 2
 * containers per cell, then stop+delete). The no-op plan runs as a separate
 * `node dist/src/cli/main.js plan` process, so Node start-up is included.
 * Prints ms per cell and the ratios; removes everything it made. The no-op plan is run 3 times
 * (the median is shown) next to `kuke version`, the process start-up floor. `--timings` adds, per
 * step kind, how long apply's and destroy's steps took (from the apply journal); `--profile DIR`
 * runs the plan processes under `node --cpu-prof` and writes the profiles to DIR; `--phases`
 * times each part of refresh + plan in this process (`bench/plan-phases.ts`); `--podman` then runs
 * `bench/podman.ts` for the same sizes and prints kuke/podman ratios (DESIGN §7).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runCli } from "../src/cli/cli.js";
import { detectCgroupDriver } from "../src/executors/cgroup/index.js";
import { NetworkExecutor } from "../src/executors/cni/index.js";
import { openImageArchive } from "../src/executors/containerd/archive-source.js";
import { removeEmptyCgroups } from "../src/executors/containerd/cgroup-cleanup.js";
import { createContainerdExecutor } from "../src/executors/containerd/executor.js";
import { pauseImageSource } from "../src/executors/containerd/pause-image.js";
import { cellAddress, cgroupPath, PAUSE_IMAGE } from "../src/model/index.js";
import { BUSYBOX_IMAGE, buildBusyboxArchive } from "../test/harness/busybox-image.js";
import { minimalOciSpec, startContainerd, type TestContainerd } from "../test/harness/containerd.js";
import { formatTimings, latestJournalTimings } from "./journal-timings.js";
import { planPhases } from "./plan-phases.js";
import { podmanFigures } from "./podman.js";

const run = promisify(execFile);
const MAIN_JS = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

/** A writable that drops everything (kuke's progress lines would dominate a terminal). */
class Sink extends Writable {
  text = "";
  override _write(chunk: Buffer, _e: BufferEncoding, done: () => void): void {
    this.text = (this.text + chunk.toString()).slice(-4000);
    done();
  }
}

function manifest(realm: string, cells: number): string {
  const docs = [
    `kind: Realm\nmetadata: {name: ${realm}}`,
    `kind: Space\nmetadata: {name: net}\nspec: {realmId: ${realm}}`,
    `kind: Stack\nmetadata: {name: st}\nspec: {realmId: ${realm}, spaceId: net}`,
  ];
  for (let i = 0; i < cells; i++) {
    docs.push(`kind: Cell
metadata: {name: c${i}}
spec:
  realmId: ${realm}
  spaceId: net
  stackId: st
  containers:
    - {id: a, image: ${BUSYBOX_IMAGE}, command: /bin/sleep, args: ["3600"]}
    - {id: b, image: ${BUSYBOX_IMAGE}, command: /bin/sleep, args: ["3600"]}`);
  }
  return `${docs.join("\n---\n")}\n`;
}

/** Median of a few timings of a separate kuke process (start-up included). */
async function processMs(argv: string[], env: Record<string, string>, profileDir?: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const node = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [];
    times.push(
      await timed(() =>
        run(process.execPath, [...node, MAIN_JS, ...argv], { env: { ...process.env, ...env } }).catch(
          (e: { code?: number }) => {
            // `plan --detailed-exitcode` exits 2 when the stack is not converged: a bug worth seeing.
            throw new Error(`kuke ${argv.join(" ")} exited ${e.code}`);
          },
        ),
      ),
    );
  }
  return times.sort((a, b) => a - b)[1] as number;
}

async function kuke(argv: string[], env: Record<string, string>): Promise<number> {
  const out = new Sink();
  const err = new Sink();
  const code = await runCli(argv, { stdin: Readable.from([]), stdout: out, stderr: err, env, colorDepth: 1 });
  if (code !== 0) throw new Error(`kuke ${argv.join(" ")} exited ${code}:\n${out.text}\n${err.text}`);
  return code;
}

/** CPU time of this process's waited-for children (`cutime` + `cstime` of `/proc/self/stat`), ms. */
async function childrenCpuMs(): Promise<number> {
  const stat = await readFile("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 16 and 17 of proc(5), counted from the state field (3) after the command name.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

/** Busy and total jiffies of all cores (`/proc/stat`), to tell a CPU-bound run from a waiting one. */
async function hostCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile("/proc/stat", "utf8")).split("\n")[0] as string;
  const v = line.split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

function busyPercent(a: { busy: number; total: number }, b: { busy: number; total: number }): string {
  return (((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100).toFixed(0);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

interface Row {
  cells: number;
  apply: number;
  plan: number;
  version: number;
  destroy: number;
  directCreate: number;
  directDelete: number;
}

/** The containerd work of N cells, one operation after another, with the executor directly. */
async function direct(ctd: TestContainerd, work: string, cells: number, tag: string): Promise<[number, number]> {
  const ns = `bench-direct-${tag}`;
  const exec = createContainerdExecutor(ctd.socketPath, { runcRoot: ctd.runcRoot });
  const ids: { id: string; cg: string }[] = [];
  try {
    const busy = await openImageArchive(await buildBusyboxArchive(work));
    try {
      await exec.importImage(ns, busy);
    } finally {
      await busy.close();
    }
    await exec.importImage(ns, await pauseImageSource());
    const busybox = await exec.resolveImage(ns, BUSYBOX_IMAGE);
    const pause = await exec.resolveImage(ns, PAUSE_IMAGE);
    const create = await timed(async () => {
      for (let i = 0; i < cells; i++) {
        for (const [k, img, args] of [
          ["root", pause, ["/pause"]],
          ["a", busybox, ["sleep", "3600"]],
          ["b", busybox, ["sleep", "3600"]],
        ] as const) {
          const id = `c${i}_${k}`;
          const cg = `/kuke-bench-${tag}/c${i}/${k}`;
          ids.push({ id, cg });
          await exec.createContainer(ns, {
            id,
            image: img.name,
            snapshotParent: img.topChainId,
            spec: minimalOciSpec([...args], cg),
            labels: { "kuke.dev/managed-by": "kuke" },
          });
          await exec.startTask(ns, id, join(work, "direct-logs", `${id}.log`));
        }
      }
    });
    const del = await timed(async () => {
      for (const { id, cg } of ids) {
        await exec.stopTask(ns, id, { graceMs: 0 });
        await exec.deleteContainer(ns, id, { cgroupPath: cg });
      }
    });
    return [create, del];
  } finally {
    for (const { id, cg } of ids) {
      await exec.deleteContainer(ns, id, { cgroupPath: cg, graceMs: 0 }).catch(() => undefined);
      await removeEmptyCgroups(cg).catch(() => undefined);
    }
    exec.close();
  }
}

export async function main(args: string[]): Promise<void> {
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const parallelism = flag("--parallelism");
  const profileDir = flag("--profile");
  const showTimings = args.includes("--timings");
  const showPhases = args.includes("--phases");
  const timings: string[] = [];
  const sizes = (flag("--cells") ?? "10,50")
    .split(",")
    .map(Number)
    .filter((n) => n > 0);
  const ctd = await startContainerd();
  const work = await mkdtemp("/tmp/kuke-bench-apply-");
  const rows: Row[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  try {
    for (const cells of sizes) {
      const tag = randomBytes(3).toString("hex");
      const realm = `bench${tag}`;
      const dir = join(work, realm);
      const env = {
        KUKE_RUN_PATH: join(dir, "run"),
        KUKE_RUNTIME_DIR: join(dir, "rt"),
        KUKE_CONTAINERD_ADDRESS: ctd.address,
        KUKE_RUNC_ROOT: ctd.runcRoot,
      };
      const file = join(work, `${realm}.yaml`);
      await writeFile(file, manifest(realm, cells));
      cleanups.push(async () => {
        await kuke(["destroy", "--auto-approve", "-f", file], env).catch(() => undefined);
        const net = new NetworkExecutor({ runPath: env.KUKE_RUN_PATH, runtimeDir: env.KUKE_RUNTIME_DIR });
        for (let i = 0; i < cells; i++) {
          await net.detach(cellAddress(realm, "net", "st", `c${i}`)).catch(() => undefined);
          await net.unpin(cellAddress(realm, "net", "st", `c${i}`)).catch(() => undefined);
        }
        await net.removeSpaceNetwork(realm, "net").catch(() => undefined);
        await (await detectCgroupDriver()).remove(cgroupPath(realm)).catch(() => undefined);
      });
      await kuke(["image", "load", await buildBusyboxArchive(work), "--realm", realm], env);
      const par = parallelism !== undefined ? ["--parallelism", parallelism] : [];
      const cpuBefore = process.cpuUsage();
      const childrenBefore = await childrenCpuMs();
      const hostBefore = await hostCpu();
      const apply = await timed(() => kuke(["apply", "--auto-approve", ...par, "-f", file], env));
      const cpu = process.cpuUsage(cpuBefore);
      const children = (await childrenCpuMs()) - childrenBefore;
      timings.push(
        `apply of ${cells} cells: kuke's own process used ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU ` +
          `(user ${(cpu.user / 1000).toFixed(0)}, system ${(cpu.system / 1000).toFixed(0)}) in ${apply.toFixed(0)} ms, ` +
          `the processes it ran (CNI plugins, ip, iptables) ${children.toFixed(0)} ms; ` +
          `the host's cores were ${busyPercent(hostBefore, await hostCpu())}% busy`,
      );
      const applyTimings = await latestJournalTimings(env.KUKE_RUN_PATH);
      const plan = await processMs(["plan", "--detailed-exitcode", "-f", file], env, profileDir);
      if (showPhases) {
        const phases = await planPhases(file, env);
        timings.push(
          `no-op refresh + plan of ${cells} cells, in process (ms):`,
          ...Object.entries(phases).map(([k, v]) => `  ${k.padEnd(26)} ${v.toFixed(1).padStart(8)}`),
        );
      }
      const version = await processMs(["version"], env);
      const hostBeforeDestroy = await hostCpu();
      const destroy = await timed(() => kuke(["destroy", "--auto-approve", ...par, "-f", file], env));
      timings.push(
        `destroy of ${cells} cells: the host's cores were ${busyPercent(hostBeforeDestroy, await hostCpu())}% busy`,
      );
      const destroyTimings = await latestJournalTimings(env.KUKE_RUN_PATH);
      if (showTimings && applyTimings && destroyTimings) {
        timings.push(
          formatTimings(`apply of ${cells} cells`, applyTimings),
          formatTimings(`destroy of ${cells} cells`, destroyTimings),
        );
      }
      const [directCreate, directDelete] = await direct(ctd, work, cells, tag);
      rows.push({ cells, apply, plan, version, destroy, directCreate, directDelete });
    }
  } finally {
    for (const c of cleanups) await c();
    await ctd.stop();
    await rm(work, { recursive: true, force: true });
  }
  const f = (n: number) => n.toFixed(1).padStart(9);
  const lines = [
    "kuke apply / plan / destroy vs the same containerd operations done one by one (ms; per cell = total / cells)",
    ["cells", "apply/cell", "direct/cell", "ratio", "plan(ms)", "version(ms)", "destroy/cell", "direct/cell", "ratio"]
      .map((h) => h.padStart(h === "cells" ? 5 : 12))
      .join(" "),
  ];
  for (const r of rows) {
    lines.push(
      [
        String(r.cells).padStart(5),
        f(r.apply / r.cells).padStart(12),
        f(r.directCreate / r.cells).padStart(12),
        (r.apply / r.directCreate).toFixed(2).padStart(12),
        f(r.plan).padStart(12),
        f(r.version).padStart(12),
        f(r.destroy / r.cells).padStart(12),
        f(r.directDelete / r.cells).padStart(12),
        (r.destroy / r.directDelete).toFixed(2).padStart(12),
      ].join(" "),
    );
  }
  lines.push(
    `apply/destroy include refresh, planning, CNI and cgroups (kuke, parallelism ${parallelism ?? "default"}); direct is containerd only, sequential.`,
    "plan is a separate `node dist/src/cli/main.js plan` process (start-up included) on the unchanged stack, median of 3;",
    "version is `kuke version` the same way: the process start-up floor.",
    ...timings,
  );
  if (args.includes("--podman")) {
    // After kuke's figures, on a host where kuke's containerd is gone again.
    lines.push("", "podman kube play / kube down of the same pods in the same run (DESIGN §7: kuke ≤ 0.4× podman)");
    lines.push(
      ["cells", "podman up(ms)", "kuke/podman", "podman down(ms)", "kuke/podman"].map((h) => h.padStart(15)).join(""),
    );
    for (const p of await podmanFigures(sizes)) {
      const r = rows.find((x) => x.cells === p.cells);
      if (r === undefined) continue;
      lines.push(
        [
          String(p.cells),
          p.up.toFixed(0),
          (r.apply / p.up).toFixed(2),
          p.down.toFixed(0),
          (r.destroy / p.down).toFixed(2),
        ]
          .map((c) => c.padStart(16))
          .join(""),
      );
    }
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}
