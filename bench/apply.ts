/**
 * `npm run bench -- apply [--cells 10,50]`: kuke apply / no-op plan / destroy of N cells (a
 * synthesized pause root + 2 busybox containers each, one space, one stack) on a private
 * containerd with temporary run path and runtime dir, against the same containerd operations done
 * one after another with the containerd executor in the same run (create+start root and 2
 * containers per cell, then stop+delete). The no-op plan runs as a separate
 * `node dist/src/cli/main.js plan` process, so Node start-up is included.
 * Prints ms per cell and the ratios; removes everything it made.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
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

async function kuke(argv: string[], env: Record<string, string>): Promise<number> {
  const out = new Sink();
  const err = new Sink();
  const code = await runCli(argv, { stdin: Readable.from([]), stdout: out, stderr: err, env, colorDepth: 1 });
  if (code !== 0) throw new Error(`kuke ${argv.join(" ")} exited ${code}:\n${out.text}\n${err.text}`);
  return code;
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
  const at = args.indexOf("--cells");
  const sizes = (at >= 0 ? (args[at + 1] ?? "") : "10,50")
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
      const apply = await timed(() => kuke(["apply", "--auto-approve", "-f", file], env));
      const plan = await timed(() =>
        run(process.execPath, [MAIN_JS, "plan", "--detailed-exitcode", "-f", file], {
          env: { ...process.env, ...env },
        }),
      );
      const destroy = await timed(() => kuke(["destroy", "--auto-approve", "-f", file], env));
      const [directCreate, directDelete] = await direct(ctd, work, cells, tag);
      rows.push({ cells, apply, plan, destroy, directCreate, directDelete });
    }
  } finally {
    for (const c of cleanups) await c();
    await ctd.stop();
    await rm(work, { recursive: true, force: true });
  }
  const f = (n: number) => n.toFixed(1).padStart(9);
  const lines = [
    "kuke apply / plan / destroy vs the same containerd operations done one by one (ms; per cell = total / cells)",
    ["cells", "apply/cell", "direct/cell", "ratio", "plan(ms)", "destroy/cell", "direct/cell", "ratio"]
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
        f(r.destroy / r.cells).padStart(12),
        f(r.directDelete / r.cells).padStart(12),
        (r.destroy / r.directDelete).toFixed(2).padStart(12),
      ].join(" "),
    );
  }
  lines.push(
    "apply/destroy include refresh, planning, CNI and cgroups (kuke, parallelism 10); direct is containerd only, sequential.",
    "plan is a separate `node dist/src/cli/main.js plan` process (start-up included) on the unchanged stack.",
  );
  process.stdout.write(`${lines.join("\n")}\n`);
}
