import { suite } from "uvu";
import * as assert from "uvu/assert";
import { loadManifests } from "../../src/manifest/index.js";

/**
 * Validation must stay cheap and linear: a 200-cell manifest "well under 100 ms" (the issue's
 * target). Best of several runs, so one GC pause on a noisy machine does not fail the build.
 */
const t = suite("manifest/performance");

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

function bestOf(runs: number, text: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const r = loadManifests([{ file: "perf.yaml", text }]);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.is(r.errorCount, 0);
    best = Math.min(best, ms);
  }
  return best;
}

t("200 cells validate in well under 100 ms, and 800 cells take about 4× as long", () => {
  const small = manifest(200);
  const large = manifest(800);
  bestOf(2, small); // warm up the JIT
  const t200 = bestOf(5, small);
  const t800 = bestOf(3, large);
  process.stdout.write(`manifest/performance: 200 cells ${t200.toFixed(1)} ms, 800 cells ${t800.toFixed(1)} ms\n`);
  assert.ok(t200 < 100, `200 cells took ${t200.toFixed(1)} ms`);
  // Linear: 4× the cells within 8× the time leaves room for noise but not for quadratic work.
  assert.ok(t800 < t200 * 8, `800 cells took ${t800.toFixed(1)} ms vs ${t200.toFixed(1)} ms for 200`);
});

t.run();
