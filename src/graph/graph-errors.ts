import { KukeError } from "../model/errors.js";

/**
 * The graph cannot be built because its dependencies go round in a circle. `cycle` lists the node
 * ids in dependency order, each depending on the one before it and the first on the last.
 */
export class GraphCycleError extends KukeError {
  readonly cycle: readonly string[];

  constructor(cycle: readonly string[], otherCycles: number) {
    const more = otherCycles > 0 ? ` (and ${otherCycles} more cycle${otherCycles > 1 ? "s" : ""})` : "";
    super("failed-precondition", `dependency cycle: ${[...cycle, cycle[0]].join(" → ")}${more}`, {
      detail: "each step on the cycle waits for the one before it, so none of them could ever start",
      remedy: "this is a bug in whatever produced the steps; report it with the output of `kuke graph`",
    });
    this.cycle = cycle;
  }
}

/** One node names a dependency that is not in the graph. */
export interface MissingDependency {
  readonly node: string;
  readonly dependency: string;
}

/** Nodes depend on ids that are not in the graph; all of them are listed, not only the first. */
export class MissingDependencyError extends KukeError {
  readonly missing: readonly MissingDependency[];

  constructor(missing: readonly MissingDependency[]) {
    const first = missing[0];
    const summary =
      missing.length === 1 && first
        ? `'${first.node}' depends on unknown '${first.dependency}'`
        : `${missing.length} dependencies name unknown nodes`;
    super("failed-precondition", summary, {
      detail: missing.map((m) => `${m.node} → needs ${m.dependency}, which is not in the graph`).join("\n"),
      remedy: "this is a bug in whatever produced the steps; report it with the plan (`kuke plan --json`)",
    });
    this.missing = missing;
  }
}

/** Two nodes share an id, so dependencies on that id would be ambiguous. */
export class DuplicateNodeError extends KukeError {
  readonly ids: readonly string[];

  constructor(ids: readonly string[]) {
    super("failed-precondition", `duplicate node id${ids.length > 1 ? "s" : ""}: ${ids.join(", ")}`, {
      remedy: "this is a bug in whatever produced the steps; report it with the plan (`kuke plan --json`)",
    });
    this.ids = ids;
  }
}
