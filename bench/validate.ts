/**
 * `npm run bench -- validate [--cells 200,800]`: how long `loadManifests` (parse + validate +
 * normalize) takes for N cells, best of 5 after a warm-up, and the growth between sizes, so a
 * change that makes validation quadratic shows up as a ratio far above the size ratio. A profile of
 * the library in process, not a CLI comparison. `--hostile 10000,40000` times hostile shapes
 * instead (many keys in one mapping, repeated keys, anchors with aliases), which were quadratic.
 */
import { loadManifests } from "../src/manifest/index.js";

function manifest(cells: number): string {
  const head = `kind: Realm
metadata: {name: perf}
---
kind: Space
metadata: {name: s}
spec:
  realmId: perf
  defaults:
    container:
      capabilities: {drop: [ALL]}
      resources: {memoryLimitBytes: 67108864}
---
kind: Stack
metadata: {name: t}
spec: {realmId: perf, spaceId: s}
`;
  const cell = (i: number) => `---
kind: Cell
metadata:
  name: c${i}
  labels: {index: "${i}"}
spec:
  realmId: perf
  spaceId: s
  stackId: t
  containers:
    - id: app
      image: docker.io/library/busybox:latest
      command: /bin/sh
      args: [-c, "sleep 3600"]
      env: [A=1, B=2]
      volumes: [{source: /srv/c${i}, target: /data, readOnly: true}]
    - id: side
      image: docker.io/library/busybox:latest
      args: [sleep, "3600"]
      securityOpts: [no-new-privileges]
`;
  return head + Array.from({ length: cells }, (_, i) => cell(i)).join("");
}

const HOSTILE: Record<string, (n: number) => string> = {
  keys: (n) =>
    `kind: Realm\nmetadata:\n  name: perf\n  labels:\n${Array.from({ length: n }, (_, i) => `    k${i}: v\n`).join("")}`,
  "repeated keys": (n) => `kind: Realm\nmetadata: {name: perf}\n${"dup: 1\n".repeat(n)}`,
  aliases: (n) =>
    `kind: Realm\nmetadata: {name: perf}\n${Array.from({ length: n }, (_, i) => `a${i}: &a${i} [1]\nb${i}: *a${i}\n`).join("")}`,
};

function bestOf(runs: number, text: string, valid = true): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const r = loadManifests([{ file: "perf.yaml", text }]);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (valid && r.errorCount !== 0) throw new Error("the generated manifest does not validate");
    best = Math.min(best, ms);
  }
  return best;
}

function hostile(sizes: number[]): void {
  process.stdout.write("shape           size  best ms  growth vs first (size ratio)\n");
  for (const [shape, make] of Object.entries(HOSTILE)) {
    const rows = sizes.map((n) => {
      const text = make(n);
      bestOf(1, text, false);
      return [n, bestOf(3, text, false)] as const;
    });
    for (const [n, ms] of rows) {
      const [n0, ms0] = rows[0]!;
      process.stdout.write(
        `${shape.padEnd(14)} ${String(n).padStart(6)}  ${ms.toFixed(1).padStart(7)}  ${(ms / ms0).toFixed(2)}× (${(n / n0).toFixed(0)}×)\n`,
      );
    }
  }
}

export async function main(args: string[]): Promise<void> {
  const h = args.indexOf("--hostile");
  if (h >= 0) return hostile((args[h + 1] ?? "10000,40000").split(",").map(Number));
  const i = args.indexOf("--cells");
  const sizes = (i >= 0 ? args[i + 1]! : "200,800").split(",").map(Number);
  const rows: Array<[number, number]> = [];
  for (const n of sizes) {
    const text = manifest(n);
    bestOf(2, text); // warm up the JIT
    rows.push([n, bestOf(5, text)]);
  }
  process.stdout.write("cells  best ms  ms/cell  growth vs first (size ratio)\n");
  for (const [n, ms] of rows) {
    const [n0, ms0] = rows[0]!;
    process.stdout.write(
      `${String(n).padStart(5)}  ${ms.toFixed(1).padStart(7)}  ${(ms / n).toFixed(2).padStart(7)}  ${(ms / ms0).toFixed(2)}× (${(n / n0).toFixed(0)}×)\n`,
    );
  }
}
