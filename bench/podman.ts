/**
 * `npm run bench -- podman [--cells 10,50]`: the peer of DESIGN §7. `podman kube play` / `podman
 * kube down` of N pods shaped like the apply bench's cells (an infra container + 2 busybox
 * containers running `sleep`), on one bridge network of their own, with podman's storage, run
 * state and network config in a temporary directory. Images come from the same locally built
 * busybox OCI archive (`podman load`); the infra image is podman's own (catatonit, built offline
 * by the first pod). `terminationGracePeriodSeconds: 0` makes `kube down` SIGKILL the `sleep`
 * containers at once, as kuke does. No traffic leaves the host: nothing is pulled, the pods send
 * nothing.
 *
 * The sandbox (config with `default_ulimits`, temporary storage and network, cleanup of netavark's
 * chains) is test/harness/podman.ts, shared with the export tests.
 *
 * `npm run bench -- apply --podman` interleaves the same pods with kuke's cells (bench/apply.ts);
 * this one times podman alone.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { podmanAvailable, podmanSandbox } from "../test/harness/podman.js";
import { kubeYaml, PODMAN_BUSYBOX } from "./podman-pods.js";

export interface PodmanFigures {
  cells: number;
  /** `podman kube play`, ms. */
  up: number;
  /** `podman kube down`, ms. */
  down: number;
}

/** Times podman kube play / down of `sizes` pods each, one size after the other. */
export async function podmanFigures(sizes: number[]): Promise<PodmanFigures[]> {
  if (!(await podmanAvailable())) {
    throw new Error("podman is not installed (apt-get install --no-install-recommends podman catatonit)");
  }
  // Outside kuke's pool (10.88/16), the tests' pools (10.100–10.239) and the export tests' (10.251).
  const sandbox = await podmanSandbox({ prefix: "/tmp/kuke-bench-podman-", subnetPrefix: "10.250", stopTimeout: 0 }, [
    PODMAN_BUSYBOX,
  ]);
  const { podman, work, network } = sandbox;
  const out: PodmanFigures[] = [];
  const files: string[] = [];
  try {
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
    await sandbox.remove();
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
