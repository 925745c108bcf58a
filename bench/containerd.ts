/**
 * `npm run bench -- containerd [N]`: kuke's containerd executor against `ctr` doing the same work on
 * the same private containerd in the same run. For N containers (default 50) at concurrency 1 and
 * 8: create+start, stop (SIGKILL, wait, delete task), delete (snapshot, record, cgroup). Prints ms
 * per container per phase and the kuke/ctr ratio. `ctr` figures include spawning one ctr process
 * per command, which is part of what a caller of ctr pays.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import PQueue from "p-queue";
import { removeEmptyCgroups } from "../src/executors/containerd/cgroup-cleanup.js";
import { createContainerdExecutor } from "../src/executors/containerd/executor.js";
import { BUSYBOX_IMAGE, busyboxSleep, importBusybox } from "../test/harness/busybox-image.js";
import { startContainerd } from "../test/harness/containerd.js";

const run = promisify(execFile);
type Phase = "create+start" | "stop" | "delete";
const PHASES: Phase[] = ["create+start", "stop", "delete"];
type Timings = Record<Phase, number>;

async function timed(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<number> {
  const q = new PQueue({ concurrency });
  const start = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => q.add(() => fn(i))));
  return performance.now() - start;
}

export async function main(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 50);
  const ctd = await startContainerd();
  const work = await mkdtemp(join(tmpdir(), "kuke-bench-"));
  const tag = randomBytes(3).toString("hex");
  const ns = "bench";
  const exec = createContainerdExecutor(ctd.socketPath, { runcRoot: ctd.runcRoot });
  const cgroups: string[] = [];
  const ctr = (...a: string[]) => run("ctr", ["--address", ctd.socketPath, "--namespace", ns, ...a]);
  try {
    const image = await importBusybox(exec, ns, work);
    const results: { who: string; concurrency: number; t: Timings }[] = [];

    for (const concurrency of [1, 8]) {
      const kukeId = (i: number) => `k${concurrency}-${i}`;
      const cg = (id: string) => `/kuke-bench-${tag}/${id}`;
      const k: Timings = { "create+start": 0, stop: 0, delete: 0 };
      k["create+start"] = await timed(n, concurrency, async (i) => {
        const id = kukeId(i);
        cgroups.push(cg(id));
        await exec.createContainer(
          ns,
          busyboxSleep({
            id,
            snapshotParent: image.topChainId,
            cgroupsPath: cg(id),
            labels: { "kuke.dev/managed-by": "kuke" },
          }),
        );
        await exec.startTask(ns, id, join(work, "logs", `${id}.log`));
      });
      k.stop = await timed(n, concurrency, async (i) => {
        await exec.stopTask(ns, kukeId(i), { graceMs: 0 });
      });
      k.delete = await timed(n, concurrency, async (i) => {
        await exec.deleteContainer(ns, kukeId(i), { cgroupPath: cg(kukeId(i)) });
      });
      results.push({ who: "kuke", concurrency, t: k });

      const ctrId = (i: number) => `c${concurrency}-${i}`;
      const c: Timings = { "create+start": 0, stop: 0, delete: 0 };
      c["create+start"] = await timed(n, concurrency, async (i) => {
        const id = ctrId(i);
        cgroups.push(cg(id));
        await ctr(
          "run",
          "-d",
          "--runc-root",
          ctd.runcRoot,
          "--fifo-dir",
          join(work, "fifo"),
          "--cgroup",
          cg(id),
          "--log-uri",
          `file://${join(work, "logs", `${id}.log`)}`,
          BUSYBOX_IMAGE,
          id,
          "sleep",
          "1000",
        );
      });
      c.stop = await timed(n, concurrency, async (i) => {
        await ctr("task", "rm", "-f", ctrId(i));
      });
      c.delete = await timed(n, concurrency, async (i) => {
        await ctr("container", "rm", ctrId(i));
        await removeEmptyCgroups(cg(ctrId(i)));
      });
      results.push({ who: "ctr", concurrency, t: c });
    }

    const lines = [`containerd executor vs ctr, ${n} containers per run (ms per container, wall time / N)`];
    lines.push(["phase".padEnd(14), "conc", "kuke".padStart(8), "ctr".padStart(8), "kuke/ctr".padStart(9)].join(" "));
    for (const concurrency of [1, 8]) {
      const kk = results.find((r) => r.who === "kuke" && r.concurrency === concurrency)!.t;
      const cc = results.find((r) => r.who === "ctr" && r.concurrency === concurrency)!.t;
      for (const p of PHASES) {
        lines.push(
          [
            p.padEnd(14),
            String(concurrency).padStart(4),
            (kk[p] / n).toFixed(1).padStart(8),
            (cc[p] / n).toFixed(1).padStart(8),
            (kk[p] / cc[p]).toFixed(2).padStart(9),
          ].join(" "),
        );
      }
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    exec.close();
    await ctd.stop();
    for (const c of cgroups) await removeEmptyCgroups(c).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}
