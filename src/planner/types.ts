/**
 * The planner's data: what refresh reports about the host (`ActualState`), the options of a plan
 * run, and the `Plan` itself. Everything here is plain JSON data (string-literal unions, no classes,
 * no functions), so `JSON.parse(JSON.stringify(plan))` is the same plan and a saved plan file can be
 * shown or applied later.
 */
import type { ErrorCode, ResourceKind } from "../model/index.js";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * How one resource looks to the planner, on both sides of a diff: `labels` and `spec` are the
 * effective values (see `resourceView`), with sensitive values replaced by their digest.
 * `computed` holds values the host assigns (a cell's IP, a space's subnet); they never cause a diff.
 */
export interface ResourceView {
  labels: Record<string, string>;
  spec: { [key: string]: JsonValue };
  computed?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Actual state (filled by refresh)

/** Host facts kuke keeps beside a record; all optional because each kind uses a few. */
export interface RecordExtra {
  /** Cell: IP on the space bridge, as assigned by CNI. */
  ip?: string;
  gateway?: string;
  mac?: string;
  /** Space: allocated /24. */
  subnet?: string;
  /** Container: the containerd id the container was created with. */
  containerdId?: string;
  /** Realm and container: containerd namespace used when applying. */
  namespace?: string;
  /**
   * Cell and container: `"stopped"` after `kuke stop`/`kuke kill`, so a task kuke was asked to
   * stop is not drift (apply leaves it stopped until `kuke start`). Absent means it should run.
   */
  runState?: "stopped";
}

/** What kuke recorded when it last applied a resource. */
export interface ResourceRecord {
  /** Address string (`cell/r/s/t/c`). */
  address: string;
  kind: ResourceKind;
  /** The project that applied it; prune only ever touches records of the running project. */
  project: string;
  /** The resource as applied: exactly the `ResourceView` the plan's `record.write` step carried. */
  view: ResourceView;
  /** `specHash(view.spec)`; for containers also the `kukeon.io/spec-hash` label it was created with. */
  specHash: string;
  extra: RecordExtra;
}

export type TaskStatus = "created" | "running" | "stopped" | "paused" | "missing";

/** A containerd container as listed by refresh (managed by kuke or not). */
export interface ActualContainer {
  id: string;
  labels: Record<string, string>;
  image: string;
  task: { status: TaskStatus; exitCode?: number; pid?: number };
}

/** One containerd namespace that exists, with every container in it (by containerd id). */
export interface ActualNamespace {
  containers: Record<string, ActualContainer>;
}

export interface ActualNetwork {
  /** The space's conflist file is present in the run path. */
  conflistPresent: boolean;
  /** The allocated subnet, when the allocation exists. */
  subnet?: string;
}

export interface ActualAttachment {
  ip: string;
  gateway?: string;
  mac?: string;
}

/**
 * Raw host facts, each keyed the way the host names things (`src/model/host-names.ts`), so refresh
 * fills it from bulk listings without knowing about addresses.
 */
export interface HostFacts {
  /** kuke's records, by address string. */
  records: Record<string, ResourceRecord>;
  /** containerd namespaces that exist, by namespace name. */
  namespaces: Record<string, ActualNamespace>;
  /** Cgroup paths that exist (as `cgroupPath()` spells them). */
  cgroups: string[];
  /** CNI networks by `networkName()`. */
  networks: Record<string, ActualNetwork>;
  /** `netnsName()`s whose pin exists under the runtime dir. */
  netnsPinned: string[];
  /** CNI attachments by `netnsName()`. */
  attachments: Record<string, ActualAttachment>;
  /** Egress chain names (`egressChainName()`) present in iptables. */
  egressChains: string[];
  /**
   * What each desired container's secret sources hold, by container address string, then secret
   * name. Absent when the sources were not read (`--refresh=false`, imperative verbs): containers
   * then keep whatever `valueHash` their spec already carries.
   */
  secretDigests?: Record<string, Record<string, SecretDigest>>;
}

/** A secret source as read at plan time: the digest of its value, or why it could not be read. */
export type SecretDigest =
  | { valueHash: string }
  | {
      /** One line naming the secret and its source (never its value), e.g. `secret token: cannot read /run/token (ENOENT)`. */
      problem: string;
      /** What to do about it, when known. */
      remedy?: string;
    };

/** What the host has for one address, derived from `HostFacts` by `actualState()`. */
export interface ActualResource {
  address: string;
  kind: ResourceKind;
  record?: ResourceRecord;
  /** All kinds: the resource's cgroup exists. */
  cgroupPresent: boolean;
  /** Realm: its containerd namespace exists. */
  namespacePresent?: boolean;
  /** Space: network state. */
  network?: { name: string; conflistPresent: boolean; subnet?: string; egressChainPresent: boolean };
  /** Cell: netns pin and CNI attachment. */
  netns?: { name: string; pinned: boolean; attachment?: ActualAttachment };
  /** Container: what containerd has under the recorded id (null when it is gone). */
  container?: ActualContainer | null;
}

/** A container that carries kuke's labels, found by refresh whether or not kuke recorded it. */
export interface LabeledContainer {
  /** containerd namespace it lives in. */
  namespace: string;
  container: ActualContainer;
  /** From the `kukeon.io/role` label. */
  role: "root" | "workload";
}

/** Host facts plus a per-address view of every recorded resource. */
export interface ActualState extends HostFacts {
  resources: Record<string, ActualResource>;
  /**
   * kuke's containers by the container address their labels name (labels are the source of truth
   * about what kuke made). One without a record is kuke's own leftover from an interrupted apply.
   */
  labeled: Record<string, LabeledContainer>;
}

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
}
