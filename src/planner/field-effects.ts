/**
 * The one table that says how a change of each field of the effective model reaches the host
 * (DESIGN §4). Paths are relative to a resource view (`labels`, `spec.…`); `[]` stands for any
 * element of an array of objects. Every leaf of a fully populated view must have a row here; a
 * test enumerates those leaves, so a model field added without a row fails it.
 */
import type { ResourceKind } from "../model/index.js";
import { FIELD_EFFECTS, type FieldEffect } from "./types.js";

export interface FieldRow {
  kind: ResourceKind;
  path: string;
  /** Effect for every kind, and for a workload container. */
  effect: FieldEffect;
  /** Effect when the container is its cell's root (the cell's namespaces die with it). */
  rootEffect?: FieldEffect;
  /** The value is secret: plans show a marker, records keep a digest. */
  sensitive?: boolean;
}

const RECORD = "none" as const;

function realmRows(): FieldRow[] {
  return [
    { kind: "realm", path: "labels", effect: RECORD },
    // Every containerd object of the realm lives in this namespace: moving it means rebuilding all.
    { kind: "realm", path: "spec.namespace", effect: "immutable" },
    // Credentials are read at pull time only.
    { kind: "realm", path: "spec.registryCredentials[].username", effect: RECORD },
    { kind: "realm", path: "spec.registryCredentials[].password", effect: RECORD, sensitive: true },
    { kind: "realm", path: "spec.registryCredentials[].serverAddress", effect: RECORD },
  ];
}

/** Space defaults change nothing on the space itself: they reach the host through each container. */
const DEFAULT_FIELDS = [
  "user",
  "readOnlyRootFilesystem",
  "capabilities.add",
  "capabilities.drop",
  "securityOpts",
  "tmpfs[].path",
  "tmpfs[].sizeBytes",
  "tmpfs[].options",
  "resources.memoryLimitBytes",
  "resources.cpuShares",
  "resources.pidsLimit",
  "logMaxBytes",
];

function spaceRows(): FieldRow[] {
  return [
    { kind: "space", path: "labels", effect: RECORD },
    { kind: "space", path: "spec.network.egress.default", effect: "live" },
    { kind: "space", path: "spec.network.egress.allow[].host", effect: "live" },
    { kind: "space", path: "spec.network.egress.allow[].cidr", effect: "live" },
    { kind: "space", path: "spec.network.egress.allow[].ports", effect: "live" },
    ...DEFAULT_FIELDS.map((f): FieldRow => ({ kind: "space", path: `spec.defaults.container.${f}`, effect: RECORD })),
  ];
}

function cellRows(): FieldRow[] {
  return [
    { kind: "stack", path: "labels", effect: RECORD },
    { kind: "cell", path: "labels", effect: RECORD },
    { kind: "cell", path: "spec.rootContainerId", effect: "recreate-cell" },
    // Membership only: each container is planned (created, deleted) at its own address.
    { kind: "cell", path: "spec.containers", effect: RECORD },
    // The ports the cell's containers publish, moved by portmap alone (address and tasks kept).
    { kind: "cell", path: "spec.ports", effect: "live" },
  ];
}

/** [path, workload effect]; every field of a root container recreates the cell, except records-only ones. */
const CONTAINER_FIELDS: [string, FieldEffect][] = [
  ["spec.id", RECORD],
  ["spec.root", "recreate-cell"],
  ["spec.synthesized", "recreate-cell"],
  ["spec.image", "recreate"],
  // The tag now names other content (it moved in the registry): as an image change.
  ["spec.imageDigest", "recreate"],
  ["spec.command", "restart"],
  ["spec.args", "restart"],
  ["spec.workingDir", "restart"],
  ["spec.env", "restart"],
  ["spec.volumes[].source", "restart"],
  ["spec.volumes[].target", "restart"],
  ["spec.volumes[].readOnly", "restart"],
  ["spec.privileged", "restart"],
  ["spec.hostNetwork", "recreate-cell"],
  ["spec.hostPID", "recreate-cell"],
  ["spec.user", "restart"],
  ["spec.readOnlyRootFilesystem", "restart"],
  ["spec.capabilities.add", "restart"],
  ["spec.capabilities.drop", "restart"],
  ["spec.securityOpts", "restart"],
  ["spec.tmpfs[].path", "restart"],
  ["spec.tmpfs[].sizeBytes", "restart"],
  ["spec.tmpfs[].options", "restart"],
  ["spec.resources.memoryLimitBytes", "live"],
  ["spec.resources.cpuShares", "live"],
  ["spec.resources.pidsLimit", "live"],
  ["spec.secrets[].name", "restart"],
  ["spec.secrets[].fromFile", "restart"],
  ["spec.secrets[].fromEnv", "restart"],
  ["spec.secrets[].mountPath", "restart"],
  // Published by the cell's portmap (the cell's `spec.ports`, moved by `cni.ports`): the task is
  // untouched; the container's spec and spec-hash label are updated live so they match its record.
  ["spec.ports", "live"],
  // Read by kuke when it rotates logs (each locked run), never by containerd: records only.
  ["spec.logMaxBytes", RECORD],
];

function containerRows(): FieldRow[] {
  return [
    { kind: "container", path: "labels", effect: RECORD, rootEffect: RECORD },
    // Already a digest of the secret's value; plans still show only a marker. A rotated value restarts.
    {
      kind: "container",
      path: "spec.secrets[].valueHash",
      effect: "restart",
      rootEffect: "recreate-cell",
      sensitive: true,
    },
    // Labels for containerd's restart monitor, written in place; a root never gets them (restart-policy.ts).
    { kind: "container", path: "spec.restartPolicy", effect: "live", rootEffect: "live" },
    // Read only when planning (how the image's digest is found): records only.
    { kind: "container", path: "spec.imagePullPolicy", effect: RECORD, rootEffect: RECORD },
    ...CONTAINER_FIELDS.map(
      ([path, effect]): FieldRow => ({
        kind: "container",
        path,
        effect,
        // A root's published ports are the cell's, moved live like a workload's.
        rootEffect: effect === RECORD || path === "spec.ports" ? effect : "recreate-cell",
      }),
    ),
  ];
}

/** `lifecycle` is kuke's own instruction to the planner, on every kind: a change rewrites the record only. */
function lifecycleRows(): FieldRow[] {
  const kinds: ResourceKind[] = ["realm", "space", "stack", "cell", "container"];
  return kinds.flatMap((kind): FieldRow[] => [
    { kind, path: "lifecycle.preventDestroy", effect: RECORD, rootEffect: RECORD },
    { kind, path: "lifecycle.ignoreChanges", effect: RECORD, rootEffect: RECORD },
  ]);
}

export const FIELD_TABLE: readonly FieldRow[] = [
  ...realmRows(),
  ...spaceRows(),
  ...cellRows(),
  ...containerRows(),
  ...lifecycleRows(),
];

const rowsByKind = new Map<ResourceKind, Map<string, FieldRow>>();
for (const row of FIELD_TABLE) {
  const m = rowsByKind.get(row.kind) ?? new Map<string, FieldRow>();
  rowsByKind.set(row.kind, m);
  m.set(row.path, row);
}

/** `spec.volumes[3].source` → `spec.volumes[].source`. */
export function tablePath(path: string): string {
  return path.replace(/\[\d+\]/g, "[]");
}

export function strongest(effects: Iterable<FieldEffect>): FieldEffect {
  let best = 0;
  for (const e of effects) best = Math.max(best, FIELD_EFFECTS.indexOf(e));
  return FIELD_EFFECTS[best] ?? "none";
}

/**
 * The row for `path`: the exact row, else the row of an enclosing path (`labels.team` → `labels`).
 * Undefined when the table has no row, which the coverage test forbids.
 */
export function findRow(kind: ResourceKind, path: string): FieldRow | undefined {
  // Paths repeat across thousands of resources; the table is immutable, so remembering is safe.
  // One map per kind: no key string to build on every call (a plan asks for every leaf of every view).
  let memo = rowMemo.get(kind);
  if (memo === undefined) {
    memo = new Map();
    rowMemo.set(kind, memo);
  }
  const known = memo.get(path);
  if (known !== undefined || memo.has(path)) return known;
  const row = lookupRow(kind, path);
  if (memo.size < 10_000) memo.set(path, row);
  return row;
}

const rowMemo = new Map<ResourceKind, Map<string, FieldRow | undefined>>();

function lookupRow(kind: ResourceKind, path: string): FieldRow | undefined {
  const rows = rowsByKind.get(kind);
  if (rows === undefined) return undefined;
  let p = tablePath(path);
  for (;;) {
    const row = rows.get(p);
    if (row !== undefined) return row;
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    if (cut <= 0) return undefined;
    p = p.slice(0, cut);
  }
}

/**
 * The effect of a change at `path`. A path above the leaves (a whole array that changed length)
 * takes the strongest effect of the rows below it. A path with no row at all is treated as
 * `recreate`, the safe side, should the coverage test ever be bypassed.
 */
export function fieldEffect(kind: ResourceKind, path: string, role: "root" | "workload" = "workload"): FieldEffect {
  const pick = (r: FieldRow) => (role === "root" && r.rootEffect !== undefined ? r.rootEffect : r.effect);
  const row = findRow(kind, path);
  if (row !== undefined) return pick(row);
  const p = tablePath(path);
  const below = FIELD_TABLE.filter(
    (r) => r.kind === kind && (r.path.startsWith(`${p}.`) || r.path.startsWith(`${p}[`)),
  );
  return below.length > 0 ? strongest(below.map(pick)) : "recreate";
}

const kindsWithSecrets = new Set(FIELD_TABLE.filter((r) => r.sensitive).map((r) => r.kind));

/** True when some field of `kind` is sensitive; lets callers skip walking views that cannot hold secrets. */
export function hasSensitiveFields(kind: ResourceKind): boolean {
  return kindsWithSecrets.has(kind);
}

/**
 * Per kind, the spec keys under which a sensitive row lies (`registryCredentials` for a realm's
 * `spec.registryCredentials[].password`), and whether that row is the key itself.
 */
const sensitiveSpecKeys = new Map<ResourceKind, { key: string; whole: boolean }[]>();
for (const r of FIELD_TABLE) {
  if (!r.sensitive || !r.path.startsWith("spec.")) continue;
  const key = r.path.slice("spec.".length).split(/[.[]/)[0] as string;
  const list = sensitiveSpecKeys.get(r.kind) ?? [];
  sensitiveSpecKeys.set(r.kind, [...list, { key, whole: r.path === `spec.${key}` }]);
}

/**
 * False when no leaf of `spec` (a `kind` view's spec) can be sensitive, without walking it: every
 * sensitive row of the kind lies under a spec key that is absent, or an empty list (whose only
 * leaf is the list itself). Most containers have no secrets; a plan views every one twice.
 */
export function mayHoldSensitive(kind: ResourceKind, spec: Readonly<Record<string, unknown>>): boolean {
  return (sensitiveSpecKeys.get(kind) ?? []).some(({ key, whole }) => {
    const v = spec[key];
    return v !== undefined && (whole || !Array.isArray(v) || v.length > 0);
  });
}

export function isSensitive(kind: ResourceKind, path: string): boolean {
  return hasSensitiveFields(kind) && findRow(kind, path)?.sensitive === true;
}

/** True when changing a field with this effect needs a new container or cell. */
export function forcesReplacement(effect: FieldEffect): boolean {
  return effect === "recreate" || effect === "recreate-cell";
}

/**
 * Fields `lifecycle.ignoreChanges` may name: those the table knows of, the objects that enclose
 * them (`spec.resources`), a list as a whole (`spec.volumes`, never one element), and any label
 * (`labels.team`; the rest of the path is the key, dots included). Not `lifecycle` itself, nor what only kuke sets or what decides identity
 * (a container's `id`, `root`, `synthesized`; a cell's member list, planned per container).
 */
export function ignorablePaths(kind: ResourceKind): string[] {
  const memo = ignorableMemo.get(kind);
  if (memo !== undefined) return memo;
  const out = new Set<string>();
  for (const row of FIELD_TABLE) {
    if (row.kind !== kind) continue;
    const path = row.path.split("[")[0]!;
    if (path.startsWith("lifecycle") || NOT_IGNORABLE[kind]?.includes(path)) continue;
    const parts = path.split(".");
    for (let i = parts[0] === "spec" ? 2 : 1; i <= parts.length; i++) out.add(parts.slice(0, i).join("."));
  }
  const list = [...out].sort();
  ignorableMemo.set(kind, list);
  return list;
}

const NOT_IGNORABLE: Partial<Record<ResourceKind, string[]>> = {
  container: ["spec.id", "spec.root", "spec.synthesized"],
  cell: ["spec.containers"],
};
const ignorableMemo = new Map<ResourceKind, string[]>();

/** True when `ignoreChanges` may list `path` for `kind` (see `ignorablePaths`). */
export function isIgnorablePath(kind: ResourceKind, path: string): boolean {
  return ignorablePaths(kind).includes(path) || (path.startsWith("labels.") && path.length > "labels.".length);
}
