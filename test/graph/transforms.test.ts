import { suite } from "uvu";
import * as assert from "uvu/assert";
import { newDag } from "../../src/graph/dag.js";
import { toDot } from "../../src/graph/dot.js";
import { DuplicateNodeError, GraphCycleError, MissingDependencyError } from "../../src/graph/graph-errors.js";
import {
  addDeclaredDependencies,
  addNodes,
  buildGraph,
  checkAcyclic,
  reduceTransitiveEdges,
  rejectMissingDependencies,
} from "../../src/graph/transforms.js";
import { isKukeError } from "../../src/model/errors.js";

const t = suite("graph/transforms");

type N = { id: string; dependsOn: string[]; kind?: string };
const n = (id: string, ...dependsOn: string[]): N => ({ id, dependsOn });

const edges = (nodes: N[]) =>
  buildGraph(nodes)
    .edges()
    .map((e) => `${e.v}>${e.w}`)
    .sort();

t("addNodes stores each node as its label and rejects duplicate ids", () => {
  const g = newDag<N>();
  const a = n("a");
  addNodes(g, [a, n("b")]);
  assert.is(g.node("a"), a);
  assert.equal(g.nodes(), ["a", "b"]);
  const err = (() => {
    try {
      addNodes(newDag(), [n("a"), n("b"), n("a")]);
    } catch (e) {
      return e;
    }
  })();
  assert.instance(err, DuplicateNodeError);
  assert.equal((err as DuplicateNodeError).ids, ["a"]);
});

t("addDeclaredDependencies points edges from dependency to dependent", () => {
  const g = newDag<N>();
  const nodes = [n("a"), n("b", "a")];
  addNodes(g, nodes);
  addDeclaredDependencies(g, nodes);
  assert.ok(g.hasEdge("a", "b"));
  assert.not.ok(g.hasEdge("b", "a"));
});

t("rejectMissingDependencies lists every unknown dependency with its node", () => {
  const g = newDag<N>();
  const nodes = [n("a", "ghost"), n("b", "a", "phantom")];
  addNodes(g, nodes);
  try {
    rejectMissingDependencies(g, nodes);
    assert.unreachable("should have thrown");
  } catch (e) {
    assert.instance(e, MissingDependencyError);
    assert.ok(isKukeError(e, "failed-precondition"));
    assert.equal((e as MissingDependencyError).missing, [
      { node: "a", dependency: "ghost" },
      { node: "b", dependency: "phantom" },
    ]);
    assert.match((e as MissingDependencyError).detail ?? "", "b → needs phantom");
  }
  // And graphlib did not invent the missing vertices.
  assert.not.ok(g.hasNode("ghost"));
});

t("checkAcyclic reports a concrete cycle path in edge order", () => {
  // x → a → b → c → a, plus d hanging off the cycle: the cycle is a, b, c only.
  const nodes = [n("x"), n("a", "x", "c"), n("b", "a"), n("c", "b"), n("d", "c")];
  try {
    buildGraph(nodes);
    assert.unreachable("should have thrown");
  } catch (e) {
    assert.instance(e, GraphCycleError);
    assert.equal((e as GraphCycleError).cycle, ["a", "b", "c"]);
    assert.match((e as Error).message, "a → b → c → a");
  }
});

t("checkAcyclic finds the real cycle inside a larger tangled component", () => {
  // Component {a,b,c,d}: a→b→a and a→c→d→a; the shortest way back from a is a, b.
  const nodes = [n("a", "b", "d"), n("b", "a"), n("c", "a"), n("d", "c")];
  try {
    buildGraph(nodes);
    assert.unreachable("should have thrown");
  } catch (e) {
    const cycle = (e as GraphCycleError).cycle;
    assert.equal(cycle, ["a", "b"]);
    // Every consecutive pair really is an edge, including last → first.
    const g = newDag<N>();
    addNodes(g, nodes);
    addDeclaredDependencies(g, nodes);
    for (const [i, v] of cycle.entries()) assert.ok(g.hasEdge(v, cycle[(i + 1) % cycle.length] as string));
  }
});

t("checkAcyclic reports a self-dependency and counts other cycles", () => {
  try {
    buildGraph([n("a", "a"), n("b", "c"), n("c", "b")]);
    assert.unreachable("should have thrown");
  } catch (e) {
    assert.equal((e as GraphCycleError).cycle, ["a"]);
    assert.match((e as Error).message, "and 1 more cycle");
  }
});

t("checkAcyclic accepts a DAG and leaves it as it was", () => {
  const g = newDag<N>();
  const nodes = [n("a"), n("b", "a"), n("c", "a", "b")];
  addNodes(g, nodes);
  addDeclaredDependencies(g, nodes);
  const edgesOf = () => g.edges().map((e) => `${e.v}>${e.w}`);
  const before = edgesOf();
  assert.is(checkAcyclic(g, nodes), undefined);
  // A check, not a rewrite: the same vertices, the same edges (implied ones included).
  assert.equal(g.nodes(), ["a", "b", "c"]);
  assert.equal(edgesOf(), before);
  assert.equal(before.sort(), ["a>b", "a>c", "b>c"]);
});

t("reduceTransitiveEdges drops only implied edges", () => {
  // a→b→c plus implied a→c; d depends on a directly and is not implied.
  assert.equal(edges([n("a"), n("b", "a"), n("c", "a", "b"), n("d", "a")]), ["a>b", "a>d", "b>c"]);
  // Longer implication: a→b→c→e with a→e and b→e implied.
  assert.equal(edges([n("a"), n("b", "a"), n("c", "b"), n("e", "a", "b", "c")]), ["a>b", "b>c", "c>e"]);
  // Diamond keeps all four edges.
  assert.equal(edges([n("a"), n("b", "a"), n("c", "a"), n("d", "b", "c")]), ["a>b", "a>c", "b>d", "c>d"]);
});

t("reduceTransitiveEdges keeps reachability on a random DAG", () => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const nodes: N[] = [];
  for (let i = 0; i < 120; i++) {
    const deps: string[] = [];
    for (let j = 0; j < i; j++) if (rand() < 0.08) deps.push(`n${j}`);
    nodes.push(n(`n${i}`, ...deps));
  }
  const unreduced = [addNodes, rejectMissingDependencies, addDeclaredDependencies, checkAcyclic];
  const full = buildGraph(nodes, unreduced);
  const reduced = buildGraph(nodes, unreduced);
  reduceTransitiveEdges(reduced, nodes);
  assert.ok(reduced.edgeCount() < full.edgeCount());
  const reach = (g: typeof full, from: string) => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      for (const w of g.successors(stack.pop()!) ?? []) {
        if (!seen.has(w)) {
          seen.add(w);
          stack.push(w);
        }
      }
    }
    return [...seen].sort();
  };
  for (const v of full.nodes()) assert.equal(reach(reduced, v), reach(full, v), `reachability from ${v}`);
});

t("toDot renders labelled nodes and edges, quoting ids", () => {
  const g = buildGraph<N>([
    { id: "cgroup.ensure cell/r/s/t/c", dependsOn: [], kind: "cgroup.ensure" },
    { id: 'say "hi"', dependsOn: ["cgroup.ensure cell/r/s/t/c"], kind: "task.start" },
  ]);
  assert.is(
    toDot(g, (node) => `${node.kind}\n${node.id}`, "apply"),
    [
      'digraph "apply" {',
      "  rankdir=LR;",
      "  node [shape=box];",
      '  "cgroup.ensure cell/r/s/t/c" [label="cgroup.ensure\\ncgroup.ensure cell/r/s/t/c"];',
      '  "say \\"hi\\"" [label="task.start\\nsay \\"hi\\""];',
      '  "cgroup.ensure cell/r/s/t/c" -> "say \\"hi\\"";',
      "}",
      "",
    ].join("\n"),
  );
});

t("buildGraph applies the given transforms in order", () => {
  const calls: string[] = [];
  const g = buildGraph([n("a")], [(_, nodes) => calls.push(`first ${nodes.length}`), () => calls.push("second")]);
  assert.equal(calls, ["first 1", "second"]);
  assert.is(g.nodeCount(), 0);
});

t.run();
