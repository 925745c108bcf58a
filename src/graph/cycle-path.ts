import type { Dag, DagNode } from "./dag.js";

/**
 * One concrete cycle inside a strongly connected component: the shortest way from `component[0]`
 * back to itself along edges, found breadth-first inside the component. A component of several
 * nodes says only that they are tangled; a person needs an actual path to see which dependency to
 * question. Returned in edge order (each id must finish before the next; the last before the first).
 */
export function cyclePath<N extends DagNode>(g: Dag<N>, component: readonly string[]): string[] {
  const start = component[0];
  if (start === undefined) return [];
  const inside = new Set(component);
  const cameFrom = new Map<string, string>();
  const frontier: string[] = [start];
  for (let i = 0; i < frontier.length; i++) {
    const v = frontier[i] as string;
    for (const w of g.successors(v) ?? []) {
      if (w === start) return walkBack(cameFrom, start, v);
      if (!inside.has(w) || cameFrom.has(w)) continue;
      cameFrom.set(w, v);
      frontier.push(w);
    }
  }
  // Unreachable for a real strongly connected component; fall back to the component itself.
  return [...component];
}

function walkBack(cameFrom: Map<string, string>, start: string, last: string): string[] {
  const path = [last];
  for (let v = last; v !== start; ) {
    v = cameFrom.get(v) as string;
    path.push(v);
  }
  return path.reverse();
}
