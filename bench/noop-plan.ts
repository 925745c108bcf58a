/**
 * `npm run bench -- noop-plan [--cells 50] [--rounds 10] [--kuke LABEL=MAIN_JS]… [--profile DIR]
 * [--phases]`: the no-op `kuke plan` against `kuke version` (DESIGN §7: at most 1.5×), many rounds
 * at one size, without the applies and destroys of `bench apply` between them.
 *
 * One stack of N cells (the same shape as `bench apply`: synthesized root + 2 busybox `sleep`
 * containers per cell, one space with a bridge network) is applied once by the first build, on a
 * private containerd. Then each round runs, as separate CLI processes (`node MAIN_JS …`, start-up
 * included), `kuke plan --detailed-exitcode` (exit 2, changes pending, fails the run) and
 * `kuke version` for every build, in an order rotated round by round so the machine's other load
 * falls on all alike. Each build plans the same applied stack (its own manifest cache warmed by one
 * untimed plan first). Medians and ranges of wall time, and of CPU time (the process and what it
 * waited for, from `/proc/self/stat`, 10 ms ticks), which the machine's other load moves far less;
 * `plan − version` is the plan's own work.
 *
 * `--profile DIR` runs the timed plan and version processes under `node --cpu-prof` (DIR/LABEL/);
 * `npm run bench -- profile-summary DIR/LABEL/*.cpuprofile` sums them. `--phases` times the parts
 * of a no-op refresh + plan in process (`plan-phases.ts`, this tree's code) after the rounds.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { detectCgroupDriver } from "../src/executors/cgroup/index.js";
import { NetworkExecutor } from "../src/executors/cni/index.js";
import { cellAddress, cgroupPath } from "../src/model/index.js";
import { buildBusyboxArchive } from "../test/harness/busybox-image.js";
import { startContainerd } from "../test/harness/containerd.js";
import { kukeEnv } from "../test/harness/kuke-env.js";
import { kukeManifest } from "./apply.js";
import { planPhases } from "./plan-phases.js";
import { exec, procCpuMs } from "./processes.js";

const THIS_MAIN_JS = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

/** Wall and CPU ms of one command (the machine's other load shows in the first far more). */
async function timed(fn: () => Promise<void>): Promise<{ ms: number; cpuMs: number }> {
  const c0 = procCpuMs("self").children;
  const t0 = performance.now();
  await fn();
  return { ms: performance.now() - t0, cpuMs: procCpuMs("self").children - c0 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function fmtRange(xs: number[]): string {
  return `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
}

async function loadavg(): Promise<string> {
  return (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");
}

export async function main(args: string[]): Promise<void> {
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const cells = Number(flag("--cells") ?? 50);
  const rounds = Number(flag("--rounds") ?? 10);
  const profileDir = flag("--profile");
  const builds = args.flatMap((a, i) => {
    const s = a === "--kuke" ? args[i + 1] : undefined;
    if (s === undefined) return [];
    const at = s.indexOf("=");
    return [at > 0 ? { label: s.slice(0, at), mainJs: s.slice(at + 1) } : { label: s, mainJs: s }];
  });
  if (builds.length === 0) builds.push({ label: "kuke", mainJs: THIS_MAIN_JS });

  const realm = `n${randomBytes(3).toString("hex")}`;
  const work = await mkdtemp("/tmp/kuke-bench-noop-");
  const ctd = await startContainerd();
  const env = kukeEnv(join(work, realm), ctd);
  const procEnv = { ...process.env, ...env };
  const file = join(work, `cells-${cells}.yaml`);
  const first = builds[0] as { mainJs: string };
  const plans = new Map<string, { ms: number; cpuMs: number }[]>();
  const versions = new Map<string, { ms: number; cpuMs: number }[]>();
  const lines: string[] = [];
  try {
    await mkdir(join(work, realm), { recursive: true });
    await writeFile(file, kukeManifest(realm, cells));
    await exec(
      process.execPath,
      [first.mainJs, "image", "load", await buildBusyboxArchive(work), "--realm", realm],
      procEnv,
    );
    await exec(process.execPath, [first.mainJs, "apply", "--auto-approve", "-f", file], procEnv);
    for (const b of builds) {
      // Untimed: each build's manifest cache entry, and the files in the page cache.
      await exec(process.execPath, [b.mainJs, "plan", "--detailed-exitcode", "-f", file], procEnv);
      await exec(process.execPath, [b.mainJs, "version"], procEnv);
    }
    lines.push(`load average at start: ${await loadavg()}`);
    for (let r = 0; r < rounds; r++) {
      const order = builds.map((_, i) => builds[(i + r) % builds.length] as (typeof builds)[number]);
      for (const b of order) {
        const prof = (what: string) =>
          profileDir !== undefined ? ["--cpu-prof", "--cpu-prof-dir", join(profileDir, b.label, what)] : [];
        const p = () =>
          timed(() =>
            exec(process.execPath, [...prof("plan"), b.mainJs, "plan", "--detailed-exitcode", "-f", file], procEnv),
          );
        const v = () => timed(() => exec(process.execPath, [...prof("version"), b.mainJs, "version"], procEnv));
        // Alternate which of the two goes first.
        let pm: { ms: number; cpuMs: number };
        let vm: { ms: number; cpuMs: number };
        if (r % 2 === 0) {
          pm = await p();
          vm = await v();
        } else {
          vm = await v();
          pm = await p();
        }
        plans.set(b.label, [...(plans.get(b.label) ?? []), pm]);
        versions.set(b.label, [...(versions.get(b.label) ?? []), vm]);
      }
    }
    lines.push(`load average at end: ${await loadavg()}`);
    if (args.includes("--phases")) {
      const phases = await planPhases(file, env);
      lines.push(
        `no-op refresh + plan of ${cells} cells in process, this tree (ms):`,
        ...Object.entries(phases).map(([p, v]) => `  ${p.padEnd(26)} ${v.toFixed(1).padStart(8)}`),
      );
    }
  } finally {
    await exec(process.execPath, [first.mainJs, "destroy", "--auto-approve", "-f", file], procEnv).catch(
      () => undefined,
    );
    const net = new NetworkExecutor({ runPath: env.KUKE_RUN_PATH, runtimeDir: env.KUKE_RUNTIME_DIR });
    for (let i = 0; i < cells; i++) {
      await net.detach(cellAddress(realm, "net", "st", `c${i}`)).catch(() => undefined);
      await net.unpin(cellAddress(realm, "net", "st", `c${i}`)).catch(() => undefined);
    }
    await net.removeSpaceNetwork(realm, "net").catch(() => undefined);
    await (await detectCgroupDriver()).remove(cgroupPath(realm)).catch(() => undefined);
    await ctd.stop();
    await rm(work, { recursive: true, force: true });
  }
  const out = [
    `no-op kuke plan of ${cells} cells against kuke version, ${rounds} rounds, CLI processes: median (min–max)`,
    `${"build".padEnd(10)} ${"plan ms".padStart(16)} ${"version ms".padStart(16)} ${"plan-version".padStart(12)} ${"plan/version".padStart(12)}  ${"plan CPU ms".padStart(16)} ${"version CPU ms".padStart(16)}`,
  ];
  for (const b of builds) {
    const p = plans.get(b.label) ?? [];
    const v = versions.get(b.label) ?? [];
    const wall = (xs: { ms: number }[]) => xs.map((x) => x.ms);
    const cpu = (xs: { cpuMs: number }[]) => xs.map((x) => x.cpuMs);
    out.push(
      `${b.label.padEnd(10)} ${fmtRange(wall(p)).padStart(16)} ${fmtRange(wall(v)).padStart(16)} ${(median(wall(p)) - median(wall(v))).toFixed(0).padStart(12)} ${(median(wall(p)) / median(wall(v))).toFixed(2).padStart(12)}  ${fmtRange(cpu(p)).padStart(16)} ${fmtRange(cpu(v)).padStart(16)}`,
    );
  }
  process.stdout.write(`${[...out, ...lines].join("\n")}\n`);
}
