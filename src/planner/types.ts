/**
 * The planner's data: the options of a plan run and the `Plan` itself. Everything here is plain
 * JSON data (string-literal unions, no classes, no functions), so `JSON.parse(JSON.stringify(plan))`
 * is the same plan and a saved plan file can be shown or applied later. What the planner reads
 * (records, actual state, host facts) are model types (`src/model/records.ts`,
 * `src/model/actual-state.ts`).
 */
import type { ErrorCode, ResourceKind, ResourceView } from "../model/index.js";

// ---------------------------------------------------------------------------------------------
// Plan

/** How a field change reaches the host, weakest first (DESIGN §4). */
export type FieldEffect = "none" | "live" | "restart" | "recreate" | "recreate-cell" | "immutable";
export const FIELD_EFFECTS: readonly FieldEffect[] = [
  "none",
  "live",
  "restart",
  "recreate",
  "recreate-cell",
  "immutable",
];

export type Action = "create" | "update" | "replace" | "delete" | "noop" | "read";

export type ReasonKind = "field" | "pruned" | "drift" | "requested" | "destroy";

export interface ChangeReason {
  kind: ReasonKind;
  /** One line, e.g. `field spec.image forces replacement`, `drift: container missing`. */
  text: string;
}

export interface FieldChange {
  /** Path inside the resource view (`spec.env`, `spec.volumes[0].source`, `labels.team`). */
  path: string;
  effect: FieldEffect;
  forcesReplacement: boolean;
}

export interface ResourceChange {
  address: string;
  kind: ResourceKind;
  action: Action;
  /** The strongest effect among changed fields and drift ("none" for create/delete/noop). */
  effect: FieldEffect;
  before: ResourceView | null;
  after: ResourceView | null;
  changedPaths: string[];
  fieldEffects: FieldChange[];
  reason?: ChangeReason;
  /** Paths whose values are masked in before/after. */
  sensitivePaths: string[];
  /** Paths of `after.computed` that only apply will know (`computed.ip`). */
  knownAfterApply: string[];
  /** True when the container's task restarts (restart-class fields or a dead task). */
  restarts: boolean;
  /**
   * Paths the files change but `lifecycle.ignoreChanges` keeps at their recorded value (neither
   * diffed nor applied); absent when none.
   */
  ignoredPaths?: string[];
}

export type DriftKind =
  | "container-missing"
  | "task-exited"
  | "spec-changed"
  | "cgroup-missing"
  | "netns-missing"
  | "attachment-missing"
  | "root-task-dead"
  | "namespace-missing"
  | "network-missing"
  | "egress-missing"
  /** The cell's published ports on the host differ from what its containers declare (moved live, address kept). */
  | "ports-differ"
  | "left-behind"
  | "unmanaged-object"
  /** A task that is down because `kuke stop`/`kuke kill` asked for it: shown, never repaired. */
  | "stopped-by-kuke";

/** Something on the host that differs from what kuke recorded, found by refresh. */
export interface DriftItem {
  address: string;
  kind: DriftKind;
  /** What was seen, e.g. `task exited with code 137 outside kuke`. */
  text: string;
  /**
   * kuke's own interrupted apply left it so (its journal shows that apply working on the address
   * or inside it): shown as left by that apply, never as changed outside kuke.
   */
  interrupted?: true;
}

export interface Diagnostic {
  severity: "error" | "warning";
  code: ErrorCode;
  address?: string;
  summary: string;
  detail?: string;
  remedy?: string;
}

/** Options of a plan run, as addresses in string form so the plan stays plain data. */
export interface PlanOptionsRecord {
  project: string;
  prune: boolean;
  targets: string[];
  replace: string[];
  destroy: boolean;
  refresh: boolean;
}

export interface PlanSummary {
  add: number;
  change: number;
  replace: number;
  destroy: number;
}

/** What `kuke start|stop|kill` asks of one container's task. */
export type TaskOp = "start" | "stop" | "kill";

/**
 * A task operation of an imperative plan (`planTaskOps`): not a spec change, so it is not a
 * `ResourceChange`; `planToSteps` turns it into task steps plus a record of the run state.
 */
export interface TaskChange {
  /** Container address string. */
  address: string;
  op: TaskOp;
  /** `kill` only: the signal number. */
  signal?: number;
  /** Ids of the other task changes of this plan that must finish first (a cell's root waits for its workloads). */
  after: string[];
}

/** A run-state record change of an imperative plan (cells and containers). */
export interface RunStateChange {
  address: string;
  runState: "running" | "stopped";
}

/**
 * One of kuke's orphans in containerd that the plan removes (`orphan.remove`): what a killed kuke
 * left, found by kuke's labels. Not a resource: it has no record and nothing is made in its place.
 */
export interface OrphanRemoval {
  /** `snapshot`: a rootfs snapshot no container uses; `lease`: one whose kuke is gone or that expired. */
  object: "snapshot" | "lease";
  /** The containerd namespace that holds it. */
  namespace: string;
  /** The snapshot key or the lease id. */
  id: string;
  /** The container its `kukeon.io/*` labels name, else the realm whose namespace holds it. */
  address: string;
  /** One line, e.g. `left by an interrupted apply: no container uses it`. */
  text: string;
}

export interface Plan {
  format_version: "1";
  /** ISO timestamp passed in by the caller (the planner never reads the clock). */
  created: string;
  options: PlanOptionsRecord;
  /** Every considered resource, noops included, in address order (outermost first). */
  changes: ResourceChange[];
  drift: DriftItem[];
  /** Outermost addresses this project applied earlier that the files no longer declare. */
  notInConfiguration: string[];
  errors: Diagnostic[];
  /** Hash of the actual state of every resource with a non-noop change, to detect a stale plan. */
  fingerprints: Record<string, string>;
  summary: PlanSummary;
  /** Task operations of `kuke start|stop|kill` (absent in plans made from files). */
  tasks?: TaskChange[];
  /** Run states those operations record (absent in plans made from files). */
  runStates?: RunStateChange[];
  /** kuke's orphans in containerd that apply removes, in address order (absent when none). */
  orphans?: OrphanRemoval[];
}
