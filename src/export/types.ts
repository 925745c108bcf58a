/**
 * What `kuke export kubernetes` produces: plain Kubernetes objects (JSON-safe data, one per YAML
 * document), the comments a reader needs beside some of their fields, and the warnings for what
 * kuke's model says that Kubernetes cannot say exactly.
 */

/** A Kubernetes object as plain data (`apiVersion`, `kind`, `metadata`, then its own fields). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [field: string]: unknown;
}

export interface KubeMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ExportedObject {
  /** The kuke address the object comes from (`space/r/s`, `cell/r/s/t/c`). */
  source: string;
  object: KubeObject;
  /**
   * Comments to print before a field, keyed by the field's path (`stringData.app.token`, segments
   * joined by `.` where the last segment may itself hold dots: the key is matched segment-wise).
   */
  comments?: Array<{ path: string[]; text: string }>;
}

/** Something kuke's model says that the export could only approximate, or had to leave out. */
export interface ExportWarning {
  /** The kuke address of the resource (`container/r/s/t/c/k`). */
  address: string;
  message: string;
}

/** How each cell becomes a workload. */
export type WorkloadKind = "pod" | "deployment";
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ["pod", "deployment"];

export interface ExportOptions {
  /** @default "pod" */
  as?: WorkloadKind;
  /**
   * Put secret values into the Secrets: each `fromFile` is read and each `fromEnv` looked up in
   * `env` at export time. Without it every key is empty, with a comment saying what to fill in.
   * @default false
   */
  includeSecrets?: boolean;
  /** Where `fromEnv` secrets are looked up (only with `includeSecrets`). @default {} */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ExportResult {
  /** In a fixed order: namespaces, then per namespace its NetworkPolicy, then per cell its Secret and workload. */
  objects: ExportedObject[];
  warnings: ExportWarning[];
}
