import { alg } from "@dagrejs/graphlib";
import { cyclePath } from "./cycle-path.js";
import { type Dag, type DagNode, newDag } from "./dag.js";
import { DuplicateNodeError, GraphCycleError, type MissingDependency, MissingDependencyError } from "./graph-errors.js";
import { reduceTransitively } from "./transitive-reduction.js";

/**
 * One step of building a graph: reads the node list, changes or checks the graph, throws a typed
 * error when the graph would be unusable. Transforms run in the order given to `buildGraph`.
 */
export type GraphTransform<N extends DagNode = DagNode> = (g: Dag<N>, nodes: readonly N[]) => void;

/** Every node becomes a vertex first, so later transforms can tell known ids from unknown ones. */
export const addNodes: GraphTransform = (g, nodes) => {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const n of nodes) {
    if (seen.has(n.id)) duplicates.add(n.id);
    seen.add(n.id);
  }
  if (duplicates.size > 0) throw new DuplicateNodeError([...duplicates]);
  for (const n of nodes) g.setNode(n.id, n);
};

/** graphlib creates missing endpoints silently on setEdge, so unknown ids must be caught before edges exist. */
export const rejectMissingDependencies: GraphTransform = (g, nodes) => {
  const missing: MissingDependency[] = [];
  for (const n of nodes) {
    for (const d of n.dependsOn) if (!g.hasNode(d)) missing.push({ node: n.id, dependency: d });
  }
  if (missing.length > 0) throw new MissingDependencyError(missing);
};

/** The only source of ordering: a node's declared dependencies become its incoming edges. */
export const addDeclaredDependencies: GraphTransform = (g, nodes) => {
  for (const n of nodes) for (const d of n.dependsOn) g.setEdge(d, n.id);
};

/** A cycle would leave its nodes waiting forever; report one concrete cycle by its node ids. */
export const checkAcyclic: GraphTransform = (g) => {
  if (alg.isAcyclic(g)) return;
  const components = alg.findCycles(g).map((c) => [...c].sort());
  // Deterministic choice: the component holding the smallest id, starting from that id.
  components.sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
  throw new GraphCycleError(cyclePath(g, components[0] as string[]), components.length - 1);
};

/** Implied edges add nothing to the order and clutter `kuke graph`; dropping them keeps the DOT readable. */
export const reduceTransitiveEdges: GraphTransform = (g) => reduceTransitively(g);

/** The transforms `buildGraph` applies when given none, in this order. */
export const DEFAULT_TRANSFORMS: readonly GraphTransform[] = [
  addNodes,
  rejectMissingDependencies,
  addDeclaredDependencies,
  checkAcyclic,
  reduceTransitiveEdges,
];

/**
 * Builds a dependency graph from `nodes` by applying `transforms` in order. With the defaults the
 * result is acyclic, every dependency is a node, and implied edges are gone.
 * @throws DuplicateNodeError, MissingDependencyError, GraphCycleError
 */
export function buildGraph<N extends DagNode>(
  nodes: readonly N[],
  transforms: readonly GraphTransform[] = DEFAULT_TRANSFORMS,
): Dag<N> {
  const g = newDag<N>();
  for (const transform of transforms) transform(g as unknown as Dag, nodes);
  return g;
}
