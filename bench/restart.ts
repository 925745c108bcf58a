/**
 * `npm run bench -- restart [--interval 1s,2s,10s] [--rounds 5]`: how long a workload with
 * `restartPolicy: always` takes to run again after SIGKILL, through containerd's restart monitor.
 * For each interval: a private containerd whose monitor checks that often, one cell applied with
 * kuke, then `rounds` times: SIGKILL the task's pid, poll containerd every 10 ms until the task
 * runs with a new pid. Prints each time and the median; removes everything it made.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { createContainerdExecutor } from "../src/executors/containerd/executor.js";
import { buildBusyboxArchive } from "../test/harness/busybox-image.js";
import { startContainerd } from "../test/harness/containerd.js";
import { kukeEnv } from "../test/harness/kuke-env.js";
import { KUKE_MAIN } from "../test/harness/kuke-process.js";
import { stackHeader } from "../test/harness/stack-header.js";

const run = promisify(execFile);
/** The package's bin (the bundle), as users run it. */
const MAIN_JS = KUKE_MAIN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function manifest(realm: string): string {
  return `${stackHeader(realm)}---
kind: Cell
metadata: {name: svc}
spec:
  realmId: ${realm}
  spaceId: net
  stackId: st
  containers:
    - id: app
      image: docker.io/library/busybox:latest
      command: /bin/sleep
      args: ["3600"]
      restartPolicy: always
`;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function measure(interval: string, rounds: number): Promise<number[]> {
  const ctd = await startContainerd({ restartInterval: interval });
  const dir = await mkdtemp("/tmp/kuke-bench-restart-");
  const realm = `rb${process.pid}`;
  const env = { ...process.env, ...kukeEnv(dir, ctd) };
  const kuke = (...argv: string[]) => run(process.execPath, [MAIN_JS, ...argv], { env });
  const file = join(dir, "stack.yaml");
  const ex = createContainerdExecutor(ctd.address, { runcRoot: ctd.runcRoot });
  const times: number[] = [];
  try {
    await writeFile(file, manifest(realm));
    await kuke("image", "load", await buildBusyboxArchive(dir), "--realm", realm);
    await kuke("apply", "--auto-approve", "-f", file);
    const task = async () => (await ex.listContainers(`${realm}.kukeon.io`)).find((c) => c.id === "net_st_svc_app");
    for (let i = 0; i < rounds; i++) {
      const before = await task();
      if (before?.status !== "running" || before.pid === undefined) throw new Error("the task is not running");
      const t0 = performance.now();
      process.kill(before.pid, "SIGKILL");
      for (;;) {
        const now = await task();
        if (now?.status === "running" && now.pid !== undefined && now.pid !== before.pid) break;
        if (performance.now() - t0 > 120_000) throw new Error("not restarted within 120 s");
        await sleep(10);
      }
      times.push(performance.now() - t0);
      // Kill at a random point of the monitor's cycle, not right after its check.
      await sleep(300 + Math.random() * 700);
    }
  } finally {
    await kuke("destroy", "--auto-approve", "-f", file).catch(() => undefined);
    ex.close();
    await ctd.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return times;
}

export async function main(args: string[]): Promise<void> {
  const at = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const intervals = (at("--interval") ?? "1s,2s").split(",");
  const rounds = Number(at("--rounds") ?? "5");
  process.stdout.write("monitor interval   kill → running again (ms, each)              median\n");
  for (const interval of intervals) {
    const times = await measure(interval, rounds);
    process.stdout.write(
      `${interval.padEnd(18)} ${times
        .map((t) => t.toFixed(0))
        .join(", ")
        .padEnd(44)} ${median(times).toFixed(0)} ms\n`,
    );
  }
}
