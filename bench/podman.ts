/**
 * `npm run bench -- podman [--cells 10,50]`: the peer of DESIGN §7. `podman kube play` / `podman
 * kube down` of N pods shaped like the apply bench's cells (an infra container + 2 busybox
 * containers running `sleep`), on one bridge network of their own, with podman's storage, run
 * state and network config in a temporary directory. Images come from the same locally built
 * busybox OCI archive (`podman load`); the infra image is built from it offline. No traffic leaves
 * the host: nothing is pulled, the pods send nothing.
 *
 * podman needs `default_ulimits` in a `containers.conf` passed through `CONTAINERS_CONF` on these
 * machines (root cannot raise rlimits here). Everything it made is removed at the end, including
 * the netavark iptables chains podman leaves behind.
 *
 * `npm run bench -- apply --podman` runs this after the kuke figures and prints the ratios.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildBusyboxArchive } from "../test/harness/busybox-image.js";

const run = promisify(execFile);

export interface PodmanFigures {
  cells: number;
  /** `podman kube play`, ms. */
  up: number;
  /** `podman kube down`, ms. */
  down: number;
}

const BUSYBOX = "localhost/kuke-bench/busybox:1";
const INFRA = "localhost/kuke-bench/pause:1";

function kubeYaml(cells: number): string {
  const pods: string[] = [];
  for (let i = 0; i < cells; i++) {
    pods.push(`apiVersion: v1
kind: Pod
metadata: {name: c${i}}
spec:
  containers:
    - {name: a, image: ${BUSYBOX}, command: [/bin/sleep, "3600"]}
    - {name: b, image: ${BUSYBOX}, command: [/bin/sleep, "3600"]}`);
  }
  return `${pods.join("\n---\n")}\n`;
}

/** Removes the iptables chains netavark creates on first use and never removes. */
async function removeNetavarkChains(): Promise<void> {
  for (const table of ["nat", "filter"]) {
    const saved = (await run("iptables-save", ["-t", table])).stdout.split("\n");
    for (const rule of saved.filter((l) => l.startsWith("-A ") && /-j NETAVARK/.test(l))) {
      const spec = rule.slice(3).match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
      await run("iptables", ["-w", "-t", table, "-D", ...spec.map((s) => s.replace(/^"|"$/g, ""))]).catch(
        () => undefined,
      );
    }
    const chains = saved.filter((l) => l.startsWith(":NETAVARK")).map((l) => l.slice(1).split(" ")[0] as string);
    for (const c of chains) await run("iptables", ["-w", "-t", table, "-F", c]).catch(() => undefined);
    for (const c of chains) await run("iptables", ["-w", "-t", table, "-X", c]).catch(() => undefined);
  }
}

/** Times podman kube play / down of `sizes` pods each, one size after the other. */
export async function podmanFigures(sizes: number[]): Promise<PodmanFigures[]> {
  await run("podman", ["--version"]).catch(() => {
    throw new Error("podman is not installed (apt-get install --no-install-recommends podman)");
  });
  const work = await mkdtemp("/tmp/kuke-bench-podman-");
  const conf = join(work, "containers.conf");
  await writeFile(
    conf,
    [
      "[containers]",
      'default_ulimits = ["nofile=1000:1000", "nproc=1000:1000"]',
      "[engine]",
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `infra_image = "${INFRA}"`,
      "[network]",
      'network_backend = "netavark"',
      "",
    ].join("\n"),
  );
  const global = [
    "--root",
    join(work, "root"),
    "--runroot",
    join(work, "run"),
    "--tmpdir",
    join(work, "tmp"),
    "--network-config-dir",
    join(work, "net"),
  ];
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const podman = (args: string[]) =>
    run("podman", [...global, ...args], { env, maxBuffer: 16 * 1024 * 1024 }).then((r) => r.stdout);
  // Outside kuke's pool (10.88/16) and the tests' pools (10.100–10.239).
  const network = `kbench${randomBytes(2).toString("hex")}`;
  const subnet = `10.250.${Math.floor(Math.random() * 256)}.0/24`;
  const out: PodmanFigures[] = [];
  const files: string[] = [];
  try {
    await podman(["load", "-i", await buildBusyboxArchive(work)]);
    await podman(["tag", "docker.io/library/busybox:latest", BUSYBOX]);
    const ctx = join(work, "infra");
    await mkdir(ctx);
    await writeFile(join(ctx, "Containerfile"), `FROM ${BUSYBOX}\nENTRYPOINT ["/bin/sleep", "3600"]\n`);
    await podman(["build", "-q", "--network", "none", "-t", INFRA, ctx]);
    await podman(["network", "create", "--subnet", subnet, network]);
    for (const cells of sizes) {
      const file = join(work, `pods-${cells}.yaml`);
      files.push(file);
      await writeFile(file, kubeYaml(cells));
      const t0 = performance.now();
      await podman(["kube", "play", "--network", network, file]);
      const up = performance.now() - t0;
      const running = (await podman(["ps", "-q", "--filter", "status=running"])).split("\n").filter(Boolean);
      if (running.length !== cells * 3)
        throw new Error(`expected ${cells * 3} running containers, got ${running.length}`);
      const t1 = performance.now();
      await podman(["kube", "down", file]);
      out.push({ cells, up, down: performance.now() - t1 });
    }
  } finally {
    for (const f of files) await podman(["kube", "down", f]).catch(() => undefined);
    await podman(["pod", "rm", "-af", "-t", "0"]).catch(() => undefined);
    await podman(["rm", "-af", "-t", "0"]).catch(() => undefined);
    await podman(["network", "rm", "-f", network]).catch(() => undefined);
    await podman(["system", "reset", "-f"]).catch(() => undefined);
    await removeNetavarkChains().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
  return out;
}

export async function main(args: string[]): Promise<void> {
  const at = args.indexOf("--cells");
  const sizes = (at >= 0 ? (args[at + 1] ?? "") : "10,50")
    .split(",")
    .map(Number)
    .filter((n) => n > 0);
  const rows = await podmanFigures(sizes);
  const lines = [
    "podman kube play / kube down (ms; per pod = total / pods)",
    "pods  up(ms)  up/pod  down(ms)  down/pod",
  ];
  for (const r of rows) {
    lines.push(
      `${String(r.cells).padStart(4)} ${r.up.toFixed(0).padStart(7)} ${(r.up / r.cells).toFixed(1).padStart(7)} ${r.down.toFixed(0).padStart(9)} ${(r.down / r.cells).toFixed(1).padStart(9)}`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}
