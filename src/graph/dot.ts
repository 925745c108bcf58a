import type { Dag, DagNode } from "./dag.js";

/**
 * Graphviz DOT text for `kuke graph`: one box per node labelled by `label(node)`, one arrow per
 * edge pointing from the node that finishes first to the one that waits for it. Nodes are listed
 * in insertion order so the output is stable for golden files.
 */
export function toDot<N extends DagNode>(g: Dag<N>, label: (node: N) => string, name = "kuke"): string {
  const lines = [`digraph ${quote(name)} {`, "  rankdir=LR;", "  node [shape=box];"];
  for (const id of g.nodes()) lines.push(`  ${quote(id)} [label=${quote(label(g.node(id)))}];`);
  for (const id of g.nodes()) {
    for (const w of g.successors(id) ?? []) lines.push(`  ${quote(id)} -> ${quote(w)};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** DOT double-quoted ID: only `"` and `\` need escaping; newlines become DOT's `\n` line breaks. */
function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}
