import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { detectCgroupDriver } from "../src/executors/cgroup/index.js";
import { NetworkExecutor } from "../src/executors/cni/index.js";
import { cellAddress, cgroupPath } from "../src/model/index.js";
import { BUSYBOX_IMAGE, buildBusyboxArchive } from "../test/harness/busybox-image.js";
import { startContainerd, type TestContainerd } from "../test/harness/containerd.js";
import { type KukeEnv, kukeEnv } from "../test/harness/kuke-env.js";
import { KUKE_MAIN } from "../test/harness/kuke-process.js";
import { podmanAvailable, podmanSandbox } from "../test/harness/podman.js";
import { benchArgs, kukeBuilds } from "./args.js";
import { type HostCpuBreakdown, HostCpuWindow } from "./host-cpu.js";
import { formatTimings, latestJournalTimings } from "./journal-timings.js";
import { planPhases } from "./plan-phases.js";
import { kubeYaml, PODMAN_BUSYBOX } from "./podman-pods.js";
import { exec, procCpuMs } from "./processes.js";
import { fmtRange, loadavg, median } from "./stats.js";

/** The package's bin (the bundle), as users run it. */
const THIS_MAIN_JS = KUKE_MAIN;

/**
 * The manifest of `cells` cells (root + 2 busybox `sleep` containers each) in one space of `realm`.
 * `declaredRoot`: container `a` is the cell's root (`root: true`), so kuke synthesizes no pause root
 * and each cell runs 2 tasks instead of 3 (a measurement of what the pause task costs, not the
 * benchmark of DESIGN §7).
 */
export function kukeManifest(realm: string, cells: number, declaredRoot = false): string {
  const root = declaredRoot ? ", root: true" : "";
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
    - {id: a, image: ${BUSYBOX_IMAGE}, command: /bin/sleep, args: ["3600"]${root}}
    - {id: b, image: ${BUSYBOX_IMAGE}, command: /bin/sleep, args: ["3600"]}`);
  }
  return `${docs.join("\n---\n")}\n`;
}

/**
 * What a failed destroy of `kukeManifest(realm, cells)` can leave: the cells' attachments and netns
 * pins, the space's bridge network and the realm's cgroup. Each removal is best effort.
 */
export async function removeStackLeftovers(env: KukeEnv, realm: string, cells: number): Promise<void> {
  const net = new NetworkExecutor({ runPath: env.KUKE_RUN_PATH, runtimeDir: env.KUKE_RUNTIME_DIR });
  for (let i = 0; i < cells; i++) {
    await net.detach(cellAddress(realm, "net", "st", `c${i}`)).catch(() => undefined);
    await net.unpin(cellAddress(realm, "net", "st", `c${i}`)).catch(() => undefined);
  }
  await net.removeSpaceNetwork(realm, "net").catch(() => undefined);
  await (await detectCgroupDriver()).remove(cgroupPath(realm)).catch(() => undefined);
}

/** The private containerd daemon's pid (its command line names the bench's config file). */
function containerdPid(ctd: TestContainerd): number | undefined {
  const needle = join(ctd.dir, "config.toml");
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0");
      if (argv.includes(needle) && (argv[0] ?? "").endsWith("containerd")) return Number(e);
    } catch {
      // gone
    }
  }
  return undefined;
}

async function hostCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile("/proc/stat", "utf8")).split("\n")[0] as string;
  const v = line.split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
}

/** One timed command: wall ms, CPU ms of it and its waited-for descendants, containerd's CPU ms, host busy %. */
interface Sample {
  ms: number;
  cpuMs: number;
  containerdCpuMs: number;
  busyPct: number;
  /** With `--host-cpu`: the host's CPU over the command, by process (`host-cpu.ts`). */
  host?: HostCpuBreakdown;
}

/** With `--host-cpu`, which running processes are the tool's (cmdline test); undefined: not measured. */
type HostCpuScope = ((cmdline: string) => boolean) | undefined;

async function sample(ctdPid: number | undefined, fn: () => Promise<void>, scope?: HostCpuScope): Promise<Sample> {
  const window = scope ? await HostCpuWindow.open(scope) : undefined;
  const c0 = procCpuMs("self").children;
  const d0 = ctdPid !== undefined ? procCpuMs(ctdPid).own : 0;
  const h0 = await hostCpu();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const h1 = await hostCpu();
  const s: Sample = {
    ms,
    cpuMs: procCpuMs("self").children - c0,
    containerdCpuMs: ctdPid !== undefined ? procCpuMs(ctdPid).own - d0 : 0,
    busyPct: ((h1.busy - h0.busy) / Math.max(1, h1.total - h0.total)) * 100,
  };
  if (window) s.host = await window.close();
  return s;
}

type Op = "up" | "plan" | "version" | "down";

interface Tool {
  label: string;
  /** Setup before any timing (image load, warm-up). */
  prepare(): Promise<void>;
  /** Timed operations of one round for `cells`. */
  round(cells: number, record: (op: Op, s: Sample) => void): Promise<void>;
  /** Removes everything (safe after a failure). */
  cleanup(): Promise<void>;
  /** Extra lines after the run (journal timings). */
  notes: string[];
}

interface KukeToolOptions {
  label: string;
  mainJs: string;
  ctd: TestContainerd;
  ctdPid: number | undefined;
  work: string;
  archive: string;
  parallelism: string | undefined;
  profileDir: string | undefined;
  timings: boolean;
  hostCpu: boolean;
  /** Cells declare container `a` as root: no synthesized pause task (`--declared-root LABEL`). */
  declaredRoot: boolean;
}

function kukeTool(o: KukeToolOptions): Tool & {
  file(cells: number): string;
  env: KukeEnv;
} {
  const realm = `b${randomBytes(3).toString("hex")}`;
  const dir = join(o.work, realm);
  const env = kukeEnv(dir, o.ctd);
  const file = (cells: number) => join(dir, `cells-${cells}.yaml`);
  const written = new Set<number>();
  const par = o.parallelism !== undefined ? ["--parallelism", o.parallelism] : [];
  const kuke = async (argv: string[], node: string[] = []) =>
    exec(process.execPath, [...node, o.mainJs, ...argv], { ...process.env, ...env });
  const ensureFile = async (cells: number) => {
    if (written.has(cells)) return;
    await writeFile(file(cells), kukeManifest(realm, cells, o.declaredRoot));
    written.add(cells);
  };
  let maxCells = 0;
  const notes: string[] = [];
  return {
    label: o.label,
    env,
    file,
    notes,
    async prepare() {
      await mkdir(dir, { recursive: true });
      await kuke(["image", "load", o.archive, "--realm", realm]);
      // Imports the pause image, as podman's infra image is built before timing.
      await ensureFile(1);
      await kuke(["apply", "--auto-approve", "-f", file(1)]);
      await kuke(["destroy", "--auto-approve", "-f", file(1)]);
    },
    async round(cells, record) {
      await ensureFile(cells);
      maxCells = Math.max(maxCells, cells);
      const prof = (op: string) =>
        o.profileDir !== undefined ? ["--cpu-prof", "--cpu-prof-dir", join(o.profileDir, o.label, op)] : [];
      // The tool's running processes: its containerd and the shims (their `-address` is under its dir).
      const scope: HostCpuScope = o.hostCpu ? (cmdline) => cmdline.includes(o.ctd.dir) : undefined;
      record(
        "up",
        await sample(
          o.ctdPid,
          () => kuke(["apply", "--auto-approve", ...par, "-f", file(cells)], prof("apply")),
          scope,
        ),
      );
      const applyTimings = o.timings ? await latestJournalTimings(env.KUKE_RUN_PATH) : undefined;
      // exit 2 from --detailed-exitcode (changes pending) fails the run: the stack must be converged.
      record(
        "plan",
        await sample(o.ctdPid, () => kuke(["plan", "--detailed-exitcode", "-f", file(cells)], prof("plan"))),
      );
      record("version", await sample(o.ctdPid, () => kuke(["version"])));
      record(
        "down",
        await sample(
          o.ctdPid,
          () => kuke(["destroy", "--auto-approve", ...par, "-f", file(cells)], prof("destroy")),
          scope,
        ),
      );
      const destroyTimings = o.timings ? await latestJournalTimings(env.KUKE_RUN_PATH) : undefined;
      if (applyTimings && destroyTimings) {
        notes.push(
          formatTimings(`${o.label}: apply of ${cells} cells`, applyTimings),
          formatTimings(`${o.label}: destroy of ${cells} cells`, destroyTimings),
        );
      }
    },
    async cleanup() {
      for (const cells of written) await kuke(["destroy", "--auto-approve", "-f", file(cells)]).catch(() => undefined);
      await removeStackLeftovers(env, realm, maxCells);
    },
  };
}

async function podmanTool(hostCpu: boolean): Promise<Tool> {
  if (!(await podmanAvailable())) {
    throw new Error("podman is not installed (apt-get install --no-install-recommends podman catatonit)");
  }
  // Outside kuke's pool (10.88/16), the tests' pools (10.100–10.239) and the export tests' (10.251).
  const sandbox = await podmanSandbox({ prefix: "/tmp/kuke-bench-podman-", subnetPrefix: "10.250", stopTimeout: 0 }, [
    PODMAN_BUSYBOX,
  ]);
  const { podman, work, network } = sandbox;
  const files = new Set<string>();
  const file = async (cells: number) => {
    const f = join(work, `pods-${cells}.yaml`);
    if (!files.has(f)) await writeFile(f, kubeYaml(cells));
    files.add(f);
    return f;
  };
  const env = { ...process.env, ...sandbox.env };
  // conmon and the containers under it name the sandbox's storage in their command lines.
  const scope: HostCpuScope = hostCpu ? (cmdline) => cmdline.includes(work) : undefined;
  return {
    label: "podman",
    notes: [],
    async prepare() {
      // The first pod builds podman's own infra image (catatonit) offline, before timing.
      const one = await file(1);
      await podman(["kube", "play", "--network", network, one]);
      const ids = (await podman(["ps", "-a", "--format", "{{.ID}} {{.IsInfra}}"])).split("\n").filter(Boolean);
      for (const [id, infra] of ids.map((l) => l.split(" "))) {
        const t = (await podman(["inspect", "--format", "{{.Config.StopTimeout}}", id as string])).trim();
        // The infra container keeps podman's 10 s, but catatonit exits on SIGTERM at once.
        if (infra !== "true" && t !== "0") throw new Error(`podman container ${id} has stop timeout ${t}, expected 0`);
      }
      await podman(["kube", "down", one]);
    },
    async round(cells, record) {
      const f = await file(cells);
      record(
        "up",
        await sample(
          undefined,
          () => exec("podman", [...sandbox.global, "kube", "play", "--network", network, f], env),
          scope,
        ),
      );
      const running = (await podman(["ps", "-q", "--filter", "status=running"])).split("\n").filter(Boolean);
      if (running.length !== cells * 3)
        throw new Error(`expected ${cells * 3} running containers, got ${running.length}`);
      record("down", await sample(undefined, () => exec("podman", [...sandbox.global, "kube", "down", f], env), scope));
    },
    async cleanup() {
      for (const f of files) await podman(["kube", "down", f]).catch(() => undefined);
      await sandbox.remove();
    },
  };
}

export async function main(argv: string[]): Promise<void> {
  const args = benchArgs(argv, {
    values: ["--cells", "--rounds", "--kuke", "--parallelism", "--profile", "--declared-root"],
    switches: ["--podman", "--timings", "--phases", "--host-cpu"],
    usage:
      "npm run bench -- apply [--cells 10,20,50] [--rounds 3] [--podman] [--kuke LABEL=MAIN_JS]… [--parallelism N] [--timings] [--phases] [--profile DIR] [--host-cpu] [--declared-root LABEL]",
  });
  const flag = args.value;
  const flags = args.values;
  const sizes = (flag("--cells") ?? "10,20,50")
    .split(",")
    .map(Number)
    .filter((n) => n > 0);
  const rounds = Number(flag("--rounds") ?? 3);
  const parallelism = flag("--parallelism");
  const profileDir = flag("--profile");
  const builds = kukeBuilds(args, THIS_MAIN_JS);

  const ctd = await startContainerd();
  const ctdPid = containerdPid(ctd);
  const work = await mkdtemp("/tmp/kuke-bench-apply-");
  const tools: Tool[] = [];
  const lines: string[] = [];
  const samples = new Map<string, Sample[]>();
  const key = (label: string, cells: number, op: Op) => `${label}\0${cells}\0${op}`;
  try {
    const archive = await buildBusyboxArchive(work);
    const kukes = builds.map((b) =>
      kukeTool({
        ...b,
        ctd,
        ctdPid,
        work,
        archive,
        parallelism,
        profileDir,
        timings: args.has("--timings"),
        hostCpu: args.has("--host-cpu"),
        declaredRoot: flags("--declared-root").includes(b.label),
      }),
    );
    tools.push(...kukes);
    if (args.has("--podman")) tools.push(await podmanTool(args.has("--host-cpu")));
    for (const t of tools) await t.prepare();

    lines.push(`load average at start: ${await loadavg()}`);
    for (const cells of sizes) {
      for (let r = 0; r < rounds; r++) {
        // Rotated order: each tool runs first, second, … in turn, so load spikes spread over all.
        const order = tools.map((_, i) => tools[(i + r) % tools.length] as Tool);
        for (const t of order) {
          await t.round(cells, (op, s) => {
            const k = key(t.label, cells, op);
            samples.set(k, [...(samples.get(k) ?? []), s]);
          });
        }
      }
      lines.push(`load average after ${cells} cells: ${await loadavg()}`);
      if (args.has("--phases")) {
        const k = kukes[0];
        if (k !== undefined) {
          // The tree's own refresh + plan in process on the applied stack, then destroyed again.
          await exec(process.execPath, [THIS_MAIN_JS, "apply", "--auto-approve", "-f", k.file(cells)], {
            ...process.env,
            ...k.env,
          });
          const phases = await planPhases(k.file(cells), k.env);
          lines.push(
            `no-op refresh + plan of ${cells} cells in process, this tree (ms):`,
            ...Object.entries(phases).map(([p, v]) => `  ${p.padEnd(26)} ${v.toFixed(1).padStart(8)}`),
          );
          await exec(process.execPath, [THIS_MAIN_JS, "destroy", "--auto-approve", "-f", k.file(cells)], {
            ...process.env,
            ...k.env,
          });
        }
      }
    }
    lines.push(`load average at end: ${await loadavg()}`);
  } finally {
    for (const t of [...tools].reverse()) await t.cleanup().catch(() => undefined);
    await ctd.stop();
    await rm(work, { recursive: true, force: true });
  }

  const get = (label: string, cells: number, op: Op) => samples.get(key(label, cells, op)) ?? [];
  const labels = builds.map((b) => b.label).concat(args.has("--podman") ? ["podman"] : []);
  const head = [
    "tool".padEnd(8),
    "cells".padStart(5),
    "up s, median (range)".padStart(22),
    "up CPU s/cell".padStart(14),
    "down s, median (range)".padStart(24),
    "down CPU s/cell".padStart(16),
    "plan ms".padStart(18),
    "version ms".padStart(18),
    "plan/version".padStart(13),
  ];
  const table = [
    `${rounds} rounds per size, tools interleaved in rotated order; times are wall clock of one CLI process; ` +
      "CPU is the process and its waited-for children, per cell (containerd's own CPU in brackets for kuke)",
    head.join(" "),
  ];
  for (const cells of sizes) {
    for (const label of labels) {
      const up = get(label, cells, "up");
      const down = get(label, cells, "down");
      const plan = get(label, cells, "plan");
      const version = get(label, cells, "version");
      const cpu = (xs: Sample[]) => {
        if (xs.length === 0) return "-";
        const own = median(xs.map((s) => s.cpuMs)) / 1000 / cells;
        const ctdCpu = median(xs.map((s) => s.containerdCpuMs)) / 1000 / cells;
        return label === "podman" ? own.toFixed(3) : `${own.toFixed(3)} [${ctdCpu.toFixed(3)}]`;
      };
      table.push(
        [
          label.padEnd(8),
          String(cells).padStart(5),
          fmtRange(
            up.map((s) => s.ms),
            1000,
            2,
          ).padStart(22),
          cpu(up).padStart(14),
          fmtRange(
            down.map((s) => s.ms),
            1000,
            2,
          ).padStart(24),
          cpu(down).padStart(16),
          fmtRange(plan.map((s) => s.ms)).padStart(18),
          fmtRange(version.map((s) => s.ms)).padStart(18),
          (plan.length && version.length
            ? (median(plan.map((s) => s.ms)) / median(version.map((s) => s.ms))).toFixed(2)
            : "-"
          ).padStart(13),
        ].join(" "),
      );
    }
  }
  const ratios: string[] = [];
  if (labels.includes("podman")) {
    ratios.push("", "kuke/podman, ratio of medians (DESIGN §7: ≤ 0.4)");
    for (const cells of sizes) {
      const pu = median(get("podman", cells, "up").map((s) => s.ms));
      const pd = median(get("podman", cells, "down").map((s) => s.ms));
      for (const b of builds) {
        const ku = median(get(b.label, cells, "up").map((s) => s.ms));
        const kd = median(get(b.label, cells, "down").map((s) => s.ms));
        ratios.push(
          `${String(cells).padStart(5)} cells ${b.label.padEnd(8)} up ${(ku / pu).toFixed(2)}  down ${(kd / pd).toFixed(2)}`,
        );
      }
    }
  }
  if (builds.length > 1) {
    const base = builds[0] as { label: string };
    ratios.push("", `against ${base.label}, ratio of medians`);
    for (const cells of sizes) {
      for (const b of builds.slice(1)) {
        const r = (op: Op) =>
          (
            median(get(b.label, cells, op).map((s) => s.ms)) / median(get(base.label, cells, op).map((s) => s.ms))
          ).toFixed(2);
        ratios.push(
          `${String(cells).padStart(5)} cells ${b.label.padEnd(8)} up ${r("up")}  plan ${r("plan")}  down ${r("down")}  version ${r("version")}`,
        );
      }
    }
  }
  const busy = (label: string, op: Op) =>
    sizes.map((c) => `${c}: ${median(get(label, c, op).map((s) => s.busyPct)).toFixed(0)}%`).join(", ");
  const busyLines = ["", "host cores busy (median, all processes on the machine)"];
  for (const label of labels) busyLines.push(`  ${label} up ${busy(label, "up")}; down ${busy(label, "down")}`);
  process.stdout.write(
    `${[
      ...table,
      ...ratios,
      ...busyLines,
      "",
      "not counted in CPU: kuke's containerd shims and runc; podman's conmon and the runc it starts",
      ...lines,
      ...tools.flatMap((t) => t.notes),
      ...(args.has("--host-cpu") ? hostCpuTable(sizes, labels, get) : []),
    ].join("\n")}\n`,
  );
}

/**
 * `--host-cpu`: the host's CPU per cell by process name, medians over the rounds, for each tool,
 * size and operation; names under 1 ms per cell in every column are folded into "rest".
 */
function hostCpuTable(sizes: number[], labels: string[], get: (label: string, cells: number, op: Op) => Sample[]) {
  const out = ["", "host CPU ms per cell by process (perf cpu-clock, medians over rounds; `other` is not the tool's)"];
  for (const cells of sizes) {
    for (const op of ["up", "down"] as const) {
      const cols = labels.map((l) => ({ label: l, xs: get(l, cells, op).filter((s) => s.host) }));
      if (cols.every((c) => c.xs.length === 0)) continue;
      const per = (xs: Sample[], f: (h: HostCpuBreakdown) => number) =>
        xs.length === 0 ? Number.NaN : median(xs.map((s) => f(s.host as HostCpuBreakdown))) / cells;
      const names = new Set<string>();
      for (const c of cols)
        for (const s of c.xs) for (const n of (s.host as HostCpuBreakdown).byName.keys()) names.add(n);
      const rows = [...names].map((n) => ({ n, v: cols.map((c) => per(c.xs, (h) => h.byName.get(n) ?? 0)) }));
      const big = rows.filter((r) => r.v.some((v) => v >= 1)).sort((a, b) => Math.max(...b.v) - Math.max(...a.v));
      const rest = cols.map((c) =>
        per(c.xs, (h) => [...h.byName].filter(([n]) => !big.some((r) => r.n === n)).reduce((a, [, v]) => a + v, 0)),
      );
      const fmt = (v: number) => (Number.isNaN(v) ? "-" : v.toFixed(1)).padStart(10);
      out.push(`${cells} cells, ${op}:`, `  ${"process".padEnd(18)}${cols.map((c) => c.label.padStart(10)).join("")}`);
      for (const r of big) out.push(`  ${r.n.padEnd(18)}${r.v.map(fmt).join("")}`);
      out.push(`  ${"rest".padEnd(18)}${rest.map(fmt).join("")}`);
      out.push(`  ${"tool total".padEnd(18)}${cols.map((c) => fmt(per(c.xs, (h) => h.toolMs))).join("")}`);
      out.push(`  ${"other".padEnd(18)}${cols.map((c) => fmt(per(c.xs, (h) => h.otherMs))).join("")}`);
      out.push(`  ${"idle".padEnd(18)}${cols.map((c) => fmt(per(c.xs, (h) => h.idleMs))).join("")}`);
    }
  }
  return out;
}
