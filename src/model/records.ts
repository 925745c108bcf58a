/**
 * kuke's records: the on-disk schema of what it applied (`src/state` stores them as JSON, one per
 * address), and the resource view that both sides of a plan's diff and every record hold. Plain
 * JSON data only.
 */
import type { ResourceKind } from "./address.js";
import type { Lifecycle } from "./types.js";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * How one resource looks to the planner, on both sides of a diff and in its record: `labels` and `spec` are the
 * effective values (see `resourceView`), with sensitive values replaced by their digest.
 * `computed` holds values the host assigns (a cell's IP, a space's subnet); they never cause a diff.
 */
export interface ResourceView {
  labels: Record<string, string>;
  spec: { [key: string]: JsonValue };
  computed?: Record<string, string>;
  /** The resource's effective `lifecycle` block, only when it has one (outside `spec`: not hashed). */
  lifecycle?: Lifecycle;
}

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
