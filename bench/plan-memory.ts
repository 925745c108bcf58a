/**
 * `npm run bench -- plan-memory [--cells 50,200,400]`: peak memory (max RSS) of one `kuke plan`
 * process for N cells of 2 containers (plus a synthesized root each) in one space. Two modes per
 * size: `--refresh=false` (manifest + planner + renderer only) and a full refresh against a private
 * containerd holding only the loaded busybox image (plan refuses an image it can neither find nor
 * pull), with a fresh run path. DESIGN §7: a 200-cell plan peaks at most 150 MB.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { buildBusyboxArchive } from "../test/harness/busybox-image.js";
import { startContainerd } from "../test/harness/containerd.js";
import { KUKE_MAIN } from "../test/harness/kuke-process.js";

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL("./plan-memory-child.js", import.meta.url));
/** The package's bin (the bundle), as users run it. */
const MAIN_JS = KUKE_MAIN;

function manifest(cells: number): string {
  const docs = [
    "kind: Realm\nmetadata: {name: mem}",
    "kind: Space\nmetadata: {name: s}\nspec: {realmId: mem}",
    "kind: Stack\nmetadata: {name: t}\nspec: {realmId: mem, spaceId: s}",
  ];
  const container = (id: string) =>
    `    - id: ${id}\n      image: docker.io/library/busybox:latest\n      command: sleep\n      args: ["3600"]\n      env: [A=1, B=2]`;
  for (let i = 0; i < cells; i++) {
    docs.push(
      `kind: Cell\nmetadata: {name: c${i}}\nspec:\n  realmId: mem\n  spaceId: s\n  stackId: t\n  containers:\n${container("a")}\n${container("b")}`,
    );
  }
  return `${docs.join("\n---\n")}\n`;
}

async function peakMb(args: string[]): Promise<number> {
  const { stdout } = await run(process.execPath, [CHILD, ...args], { maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as { code: number; maxRssKb: number };
  if (r.code !== 0) throw new Error(`kuke plan exited ${r.code} (args: ${args.join(" ")})`);
  return r.maxRssKb / 1024;
}

export async function main(args: string[]): Promise<void> {
  const i = args.indexOf("--cells");
  const sizes = (i >= 0 ? (args[i + 1] ?? "") : "50,200,400").split(",").map(Number);
  const dir = await mkdtemp(join(tmpdir(), "kuke-bench-mem-"));
  const ctd = await startContainerd();
  try {
    // plan checks that every image is loaded or pullable: load it, so nothing is looked up online.
    const load = ["image", "load", await buildBusyboxArchive(dir), "--realm", "mem"];
    const at = ["--run-path", join(dir, "run-load"), "--runtime-dir", join(dir, "rt-load")];
    await run(process.execPath, [MAIN_JS, ...load, ...at, "--containerd-address", ctd.socketPath]);
    process.stdout.write(
      "peak RSS of one kuke plan process (MB; median of 3)\ncells  no-refresh  refresh(image loaded)\n",
    );
    for (const n of sizes) {
      const file = join(dir, `cells-${n}.yaml`);
      await writeFile(file, manifest(n));
      const common = ["--run-path", join(dir, `run-${n}`), "--runtime-dir", join(dir, `rt-${n}`)];
      const median = async (extra: string[]) => {
        const xs: number[] = [];
        for (let k = 0; k < 3; k++) xs.push(await peakMb(["plan", "-f", file, ...common, ...extra]));
        return xs.sort((a, b) => a - b)[1] ?? 0;
      };
      const offline = await median(["--refresh=false"]);
      const online = await median(["--containerd-address", ctd.socketPath]);
      process.stdout.write(
        `${String(n).padStart(5)}  ${offline.toFixed(1).padStart(10)}  ${online.toFixed(1).padStart(19)}\n`,
      );
    }
  } finally {
    await ctd.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
