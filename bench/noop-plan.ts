import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildBusyboxArchive } from "../test/harness/busybox-image.js";
import { startContainerd } from "../test/harness/containerd.js";
import { kukeEnv } from "../test/harness/kuke-env.js";
import { KUKE_MAIN } from "../test/harness/kuke-process.js";
import { kukeManifest, removeStackLeftovers } from "./apply.js";
import { benchArgs, kukeBuilds } from "./args.js";
import { planPhases } from "./plan-phases.js";
import { exec, procCpuMs } from "./processes.js";
import { fmtRange, loadavg, median } from "./stats.js";

/** The package's bin (the bundle), as users run it. */
const THIS_MAIN_JS = KUKE_MAIN;

/** Wall and CPU ms of one command (the machine's other load shows in the first far more). */
async function timed(fn: () => Promise<void>): Promise<{ ms: number; cpuMs: number }> {
  const c0 = procCpuMs("self").children;
  const t0 = performance.now();
  await fn();
  return { ms: performance.now() - t0, cpuMs: procCpuMs("self").children - c0 };
}

export async function main(argv: string[]): Promise<void> {
  const args = benchArgs(argv, {
    values: ["--cells", "--rounds", "--kuke", "--profile"],
    switches: ["--phases"],
    usage: "npm run bench -- noop-plan [--cells 50] [--rounds 10] [--kuke LABEL=MAIN_JS]… [--profile DIR] [--phases]",
  });
  const flag = args.value;
  const cells = Number(flag("--cells") ?? 50);
  const rounds = Number(flag("--rounds") ?? 10);
  const profileDir = flag("--profile");
  const builds = kukeBuilds(args, THIS_MAIN_JS);

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
    if (args.has("--phases")) {
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
    await removeStackLeftovers(env, realm, cells);
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
