import { Graph } from "@dagrejs/graphlib";

/**
 * What the graph needs of a node: a unique id and the ids it depends on. Steps, or anything else
 * shaped like this, are stored as the node labels unchanged.
 */
export interface DagNode {
  readonly id: string;
  readonly dependsOn: readonly string[];
}

/**
 * A dependency graph over nodes of type `N`.
 *
 * Edge direction, stated once for the whole folder: an edge `a → b` means "a must finish before b
 * starts" (b depends on a). Predecessors of a node are its dependencies; successors its dependents.
 */
export type Dag<N extends DagNode = DagNode> = Graph<string, N, string>;

export function newDag<N extends DagNode>(): Dag<N> {
  return new Graph<string, N, string>({ directed: true, multigraph: false, compound: false });
}

/** The node stored under `id`; throws when absent (a caller bug, not a user error). */
export function nodeOf<N extends DagNode>(g: Dag<N>, id: string): N {
  if (!g.hasNode(id)) throw new Error(`graph has no node '${id}'`);
  return g.node(id);
}
