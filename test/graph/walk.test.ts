import { suite } from "uvu";
import * as assert from "uvu/assert";
import { buildGraph } from "../../src/graph/transforms.js";
import { type WalkEvent, walk } from "../../src/graph/walk.js";

const t = suite("graph/walk");

type N = { id: string; dependsOn: string[] };
const n = (id: string, ...dependsOn: string[]): N => ({ id, dependsOn });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Records what ran, in what order, and how many ran at once; fails the ids it is told to. */
class RecordingRunner {
  readonly started: string[] = [];
  readonly finished: string[] = [];
  active = 0;
  maxActive = 0;
  constructor(
    private readonly delayMs: (id: string) => number = () => 0,
    private readonly failing: ReadonlySet<string> = new Set(),
  ) {}

  readonly run = async (node: N): Promise<void> => {
    this.started.push(node.id);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      const ms = this.delayMs(node.id);
      if (ms > 0) await sleep(ms);
      else await Promise.resolve();
      if (this.failing.has(node.id)) throw new Error(`${node.id} broke`);
    } finally {
      this.active--;
      this.finished.push(node.id);
    }
  };
}

t("order respects every edge and each node runs once", async () => {
  const nodes = [n("d", "b", "c"), n("b", "a"), n("c", "a"), n("a"), n("e", "d", "a")];
  const r = new RecordingRunner((id) => (id === "b" ? 15 : 2));
  const result = await walk(buildGraph(nodes), r.run);
  assert.equal([...r.started].sort(), ["a", "b", "c", "d", "e"]);
  for (const node of nodes) {
    for (const dep of node.dependsOn) {
      assert.ok(r.finished.indexOf(dep) < r.started.indexOf(node.id), `${dep} finished before ${node.id} started`);
    }
  }
  assert.equal(result.summary, { total: 5, succeeded: 5, failed: 0, skipped: 0, notStarted: 0 });
  const d = result.outcomes.get("d")!;
  assert.ok(d.startMs! >= result.outcomes.get("b")!.endMs!);
  assert.ok(d.endMs! >= d.startMs!);
});

t("diamond: the join node starts exactly once, after both branches", async () => {
  const r = new RecordingRunner((id) => ({ left: 5, right: 20 })[id] ?? 0);
  await walk(buildGraph([n("top"), n("left", "top"), n("right", "top"), n("join", "left", "right")]), r.run);
  assert.equal(
    r.started.filter((id) => id === "join"),
    ["join"],
  );
  assert.is(r.started.at(-1), "join");
  assert.ok(r.finished.indexOf("right") < r.started.indexOf("join"));
});

t("never runs more than `parallelism` nodes at once, and does reach it", async () => {
  const nodes = Array.from({ length: 40 }, (_, i) => n(`x${i}`));
  for (const parallelism of [1, 3, 10]) {
    const r = new RecordingRunner(() => 3);
    await walk(buildGraph(nodes), r.run, { parallelism });
    assert.is(r.maxActive, parallelism, `parallelism ${parallelism}`);
  }
  const r = new RecordingRunner(() => 3);
  await walk(buildGraph(nodes), r.run);
  assert.is(r.maxActive, 10, "default parallelism is 10");
});

t("a failure skips its transitive dependents; independent branches finish", async () => {
  // a → b(fails) → c → d ; b → e ; a → f → g (independent of b) ; h alone.
  const nodes = [n("a"), n("b", "a"), n("c", "b"), n("d", "c"), n("e", "b"), n("f", "a"), n("g", "f"), n("h")];
  const r = new RecordingRunner((id) => (id === "g" ? 20 : 1), new Set(["b"]));
  const events: WalkEvent[] = [];
  const result = await walk(buildGraph(nodes), r.run, { onEvent: (e) => events.push(e) });
  assert.not.ok(
    r.started.some((id) => ["c", "d", "e"].includes(id)),
    "dependents never started",
  );
  assert.ok(r.finished.includes("g") && r.finished.includes("h"));
  const statusOf = (id: string) => result.outcomes.get(id)!;
  assert.is(statusOf("b").status, "failed");
  assert.match(String((statusOf("b").error as Error).message), "b broke");
  for (const id of ["c", "d", "e"]) {
    assert.equal(statusOf(id), { status: "skipped", skippedBecause: "b" }, id);
  }
  assert.equal(result.summary, { total: 8, succeeded: 4, failed: 1, skipped: 3, notStarted: 0 });
  assert.equal(
    events.filter((e) => e.type === "fail").map((e) => e.id),
    ["b"],
    "only the root cause is reported as failed",
  );
  assert.equal(
    events
      .filter((e) => e.type === "skip")
      .map((e) => e.id)
      .sort(),
    ["c", "d", "e"],
  );
  assert.ok(events.every((e) => e.type !== "skip" || e.because === "b"));
});

t("a node depending on two failures names one root cause and is skipped once", async () => {
  const r = new RecordingRunner(() => 1, new Set(["a", "b"]));
  const events: WalkEvent[] = [];
  const result = await walk(buildGraph([n("a"), n("b"), n("c", "a", "b"), n("d", "c")]), r.run, {
    onEvent: (e) => events.push(e),
  });
  assert.is(result.summary.failed, 2);
  assert.is(result.summary.skipped, 2);
  assert.ok(["a", "b"].includes(result.outcomes.get("d")!.skippedBecause!));
  assert.is(events.filter((e) => e.type === "skip" && e.id === "c").length, 1);
});

t("cancel: running nodes finish, nothing new starts, the rest are not started", async () => {
  // Two slots; chains start with slow nodes so the abort lands while they run.
  const nodes = [n("slow1"), n("slow2"), n("slow3"), n("after1", "slow1"), n("after2", "slow2")];
  const controller = new AbortController();
  const r = new RecordingRunner((id) => (id.startsWith("slow") ? 40 : 1));
  const seenSignals: AbortSignal[] = [];
  const pending = walk(
    buildGraph(nodes),
    async (node, signal) => {
      seenSignals.push(signal);
      await r.run(node);
    },
    { parallelism: 2, signal: controller.signal },
  );
  await sleep(10);
  assert.equal(r.started, ["slow1", "slow2"]);
  controller.abort();
  const result = await pending;
  assert.equal(r.started, ["slow1", "slow2"], "nothing started after the abort");
  assert.equal(r.finished.sort(), ["slow1", "slow2"], "running nodes were awaited");
  assert.ok(result.cancelled);
  assert.is(result.outcomes.get("slow1")!.status, "succeeded");
  for (const id of ["slow3", "after1", "after2"]) assert.is(result.outcomes.get(id)!.status, "not-started", id);
  assert.equal(result.summary, { total: 5, succeeded: 2, failed: 0, skipped: 0, notStarted: 3 });
  assert.ok(
    seenSignals.every((s) => s === controller.signal),
    "run sees the walk's signal",
  );
});

t("abandon: running nodes end at once as failed with the reason, nothing more starts", async () => {
  const nodes = [n("hang"), n("quick"), n("after", "quick"), n("later", "hang")];
  const cancel = new AbortController();
  const abandon = new AbortController();
  let release!: () => void;
  const hanging = new Promise<void>((r) => {
    release = r;
  });
  const events: WalkEvent[] = [];
  const pending = walk(
    buildGraph(nodes),
    async (node) => {
      if (node.id === "hang") await hanging;
    },
    { parallelism: 1, signal: cancel.signal, abandon: abandon.signal, onEvent: (e) => events.push(e) },
  );
  await sleep(10);
  cancel.abort();
  const reason = new Error("abandoned");
  abandon.abort(reason);
  const result = await pending;
  release();
  await sleep(5);
  assert.is(result.outcomes.get("hang")!.status, "failed");
  assert.is(result.outcomes.get("hang")!.error, reason);
  for (const id of ["quick", "after", "later"]) assert.not.equal(result.outcomes.get(id)!.status, "succeeded", id);
  assert.ok(result.cancelled);
  assert.is(events.filter((e) => e.id === "hang" && e.type !== "start").length, 1, "one end event, none after release");
});

t("an already-aborted signal starts nothing", async () => {
  const r = new RecordingRunner();
  const result = await walk(buildGraph([n("a"), n("b", "a")]), r.run, { signal: AbortSignal.abort() });
  assert.equal(r.started, []);
  assert.is(result.summary.notStarted, 2);
  assert.ok(result.cancelled);
});

t("empty graph resolves; synchronous throws become failures", async () => {
  const empty = await walk(buildGraph([]), async () => {});
  assert.equal(empty.summary, { total: 0, succeeded: 0, failed: 0, skipped: 0, notStarted: 0 });
  const result = await walk(buildGraph([n("a"), n("b", "a")]), ((node: N) => {
    if (node.id === "a") throw new Error("sync");
    return Promise.resolve();
  }) as (node: N) => Promise<void>);
  assert.is(result.outcomes.get("a")!.status, "failed");
  assert.is(result.outcomes.get("b")!.status, "skipped");
});

t("events carry elapsed and duration ms; a throwing listener rejects the walk after it finishes", async () => {
  const events: WalkEvent[] = [];
  await walk(buildGraph([n("a")]), () => sleep(10), { onEvent: (e) => events.push(e) });
  assert.equal(
    events.map((e) => e.type),
    ["start", "succeed"],
  );
  const done = events[1] as Extract<WalkEvent, { type: "succeed" }>;
  assert.ok(done.durationMs >= 9 && done.elapsedMs >= done.durationMs);

  const r = new RecordingRunner(() => 2);
  try {
    await walk(buildGraph([n("a"), n("b", "a")]), r.run, {
      onEvent: (e) => {
        if (e.type === "start") throw new Error("listener bug");
      },
    });
    assert.unreachable("should have rejected");
  } catch (e) {
    assert.is((e as Error).message, "listener bug");
  }
  assert.equal(r.finished, ["a", "b"]);
});

t("1000-node graph walks in well under a second (incremental scheduling)", async () => {
  // 100 chains of 10 plus a fan-in node per chain of 10 chains: 1000 nodes, mixed shape.
  const nodes: N[] = [];
  for (let c = 0; c < 100; c++) {
    for (let k = 0; k < 10; k++) nodes.push(n(`c${c}-${k}`, ...(k > 0 ? [`c${c}-${k - 1}`] : [])));
  }
  nodes.push(n("fan", ...Array.from({ length: 100 }, (_, c) => `c${c}-9`)));
  const built0 = performance.now();
  const g = buildGraph(nodes);
  const buildMs = performance.now() - built0;
  let count = 0;
  const result = await walk(g, async () => {
    count++;
  });
  assert.is(count, 1001);
  assert.is(result.summary.succeeded, 1001);
  assert.ok(buildMs < 500, `build took ${buildMs.toFixed(1)} ms`);
  assert.ok(result.durationMs < 500, `walk took ${result.durationMs.toFixed(1)} ms`);

  // A wide layer: 1000 independent nodes and one that needs them all.
  const wide = [
    ...Array.from({ length: 1000 }, (_, i) => n(`w${i}`)),
    n("sink", ...Array.from({ length: 1000 }, (_, i) => `w${i}`)),
  ];
  const wideResult = await walk(buildGraph(wide), async () => {});
  assert.is(wideResult.summary.succeeded, 1001);
  assert.ok(wideResult.durationMs < 500, `wide walk took ${wideResult.durationMs.toFixed(1)} ms`);
});

t.run();
