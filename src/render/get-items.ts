/**
 * What `kuke get` shows of each kind: the table columns, and the item objects the JSON and YAML
 * views print. Both are built from `src/status` results only.
 */
import type {
  CellStatus,
  ContainerStatus,
  RealmStatus,
  ResourceStatus,
  SpaceStatus,
  StackStatus,
  StatusReport,
} from "../status/types.js";
import { formatAge } from "./get-table.js";

/** The plural resource names `kuke get` accepts. */
export type GetKind = keyof StatusReport;
export const GET_KINDS: readonly GetKind[] = ["realms", "spaces", "stacks", "cells", "containers"];

interface Columns<T> {
  headers: string[];
  row(item: T, now: Date): string[];
}

const age = (s: ResourceStatus, now: Date) => formatAge(s.appliedAt, now);

const COLUMNS: { [K in GetKind]: Columns<StatusReport[K][number]> } = {
  realms: {
    headers: ["NAME", "NAMESPACE", "STATE", "SPACES", "AGE"],
    row: (r: RealmStatus, now) => [r.name, r.namespace, r.state, String(r.spaces), age(r, now)],
  },
  spaces: {
    headers: ["NAME", "REALM", "STATE", "SUBNET", "EGRESS", "CELLS", "AGE"],
    row: (s: SpaceStatus, now) => [
      s.name,
      s.realm,
      s.state,
      s.subnet ?? "-",
      s.egress.expected ? (s.egress.present ? "policy" : "missing") : "-",
      String(s.cells),
      age(s, now),
    ],
  },
  stacks: {
    headers: ["NAME", "REALM", "SPACE", "STATE", "READY", "AGE"],
    row: (t: StackStatus, now) => [t.name, t.realm, t.space, t.state, `${t.readyCells}/${t.cells}`, age(t, now)],
  },
  cells: {
    headers: ["NAME", "REALM", "SPACE", "STACK", "STATE", "IP", "READY", "AGE"],
    row: (c: CellStatus, now) => [
      c.name,
      c.realm,
      c.space,
      c.stack,
      c.stateText,
      c.hostNetwork ? "host" : (c.ip ?? "-"),
      `${c.running}/${c.total}`,
      age(c, now),
    ],
  },
  containers: {
    headers: ["NAME", "REALM", "SPACE", "STACK", "CELL", "ROLE", "STATE", "RESTARTS", "IMAGE", "AGE"],
    row: (k: ContainerStatus, now) => [
      k.name,
      k.realm,
      k.space,
      k.stack,
      k.cell,
      k.role ?? "-",
      k.stateText,
      k.restartsExact ? String(k.restarts) : `${k.restarts}+`,
      k.image ?? "-",
      age(k, now),
    ],
  },
};

export function tableOf<K extends GetKind>(
  kind: K,
  items: StatusReport[K],
  now: Date,
): {
  headers: string[];
  rows: string[][];
} {
  const cols = COLUMNS[kind] as Columns<StatusReport[K][number]>;
  return { headers: cols.headers, rows: items.map((i) => cols.row(i, now)) };
}

/**
 * One item of the JSON/YAML view: identity and metadata first, then `spec` (when known) and
 * `status` (everything the host says). Plain data; the shape is part of `format_version` "1".
 */
export function itemOf(s: ResourceStatus): Record<string, unknown> {
  const { kind, address, name, labels, spec, ...rest } = s;
  const parents: Record<string, string> = {};
  for (const key of ["realm", "space", "stack", "cell"] as const) {
    if (key === kind) continue;
    const v = (s as unknown as Record<string, unknown>)[key];
    if (typeof v === "string") parents[key] = v;
  }
  const status: Record<string, unknown> = { ...rest };
  for (const key of Object.keys(parents)) delete status[key];
  return {
    kind,
    address,
    metadata: { name, ...parents, labels },
    ...(spec !== undefined ? { spec } : {}),
    status,
  };
}
