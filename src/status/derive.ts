/**
 * Derives `kuke get`'s resource states from the host as refresh saw it (`ActualState`), plus the
 * resources the files declare (optional), so those never applied show up too (as Missing/Failed).
 * Pure: no clock, no host access, and no planner: the caller indexes the declared resources.
 */
import {
  type ActualContainer,
  type ActualState,
  type Address,
  addressPath,
  cellAddress,
  cgroupPath,
  completed,
  containerdId,
  egressChainName,
  formatAddress,
  type JsonValue,
  LABELS,
  netnsName,
  networkName,
  parseAddress,
  type ResourceRecord,
  type ResourceView,
  type RestartPolicy,
  realmAddress,
  recordedNamespace,
  restartCount,
} from "../model/index.js";
import type {
  CellStatus,
  ContainerStatus,
  RealmStatus,
  SpaceStatus,
  StackStatus,
  StatusCommon,
  StatusReport,
} from "./types.js";

/**
 * A resource the files declare, as the planner indexes the desired state (`indexDesired`, whose
 * entries fit as they are): its view, and what the host cannot say about it.
 */
export interface DeclaredResource {
  view: ResourceView;
  /** Container: its role in the cell. */
  role?: "root" | "workload";
  /** Cell: it shares the host's network. */
  hostNetwork?: boolean;
}

export interface StatusOptions {
  /** Declared resources by address string, so declared but unapplied resources are listed. */
  declared?: ReadonlyMap<string, DeclaredResource>;
  /** When each address was applied (ISO), e.g. from the records' modification times. */
  appliedAt?: Record<string, string>;
}

type Spec = { [key: string]: JsonValue };

/** Every resource kuke recorded or the desired state declares, with its state on the host. */
export function deriveStatus(actual: ActualState, options: StatusOptions = {}): StatusReport {
  const desired: ReadonlyMap<string, DeclaredResource> = options.declared ?? new Map();
  const keys = [...new Set([...Object.keys(actual.resources), ...desired.keys()])].sort();
  const addresses = keys.map((k) => parseAddress(k));
  const cgroups = new Set(actual.cgroups);
  const common = (a: Address): StatusCommon => {
    const key = formatAddress(a);
    const record = actual.resources[key]?.record;
    const entry = desired.get(key);
    const spec = record?.view.spec ?? entry?.view.spec;
    const at = options.appliedAt?.[key];
    return {
      kind: a.kind,
      address: key,
      name: addressPath(a).at(-1)!,
      realm: a.realm,
      labels: { ...(record?.view.labels ?? entry?.view.labels ?? {}) },
      recorded: record !== undefined,
      declared: entry !== undefined,
      cgroupPresent: cgroups.has(cgroupPath(...addressPath(a))),
      ...(at !== undefined ? { appliedAt: at } : {}),
      ...(spec !== undefined ? { spec: publicSpec(a.kind, spec) } : {}),
    };
  };
  const namespaceOf = (realm: string): string => {
    const key = formatAddress(realmAddress(realm));
    const declared = desired.get(key)?.view.spec.namespace;
    const recorded = actual.records[key];
    return recorded || typeof declared !== "string" ? recordedNamespace(actual, realm) : declared;
  };

  const containers: ContainerStatus[] = [];
  for (const a of addresses) {
    if (a.kind !== "container") continue;
    const key = formatAddress(a);
    const record = actual.resources[key]?.record;
    const id = record?.extra.containerdId ?? containerdId(a);
    const seen = actual.resources[key]?.container;
    const found =
      seen !== undefined
        ? seen
        : (actual.namespaces[record?.extra.namespace ?? namespaceOf(a.realm)]?.containers[id] ?? null);
    const c = common(a);
    const role = roleOf(found, record, desired.get(key));
    const policy = (desired.get(key)?.view.spec.restartPolicy ?? record?.view.spec.restartPolicy) as
      | RestartPolicy
      | undefined;
    const runningPid = found?.task.status === "running" ? found.task.pid : undefined;
    const restarts = found ? restartCount(found.labels, runningPid) : { count: 0, exact: true };
    const image = found?.image || (typeof c.spec?.image === "string" ? c.spec.image : undefined);
    containers.push({
      ...c,
      kind: "container",
      space: a.space,
      stack: a.stack,
      cell: a.cell,
      ...containerState(found, role === "root" ? undefined : policy),
      ...(runningPid !== undefined ? { pid: runningPid } : {}),
      restarts: restarts.count,
      restartsExact: restarts.exact,
      ...(role ? { role } : {}),
      ...(image ? { image } : {}),
      containerdId: id,
    });
  }

  const containersOf = new Map<string, ContainerStatus[]>();
  for (const k of containers) {
    const cell = formatAddress(cellAddress(k.realm, k.space, k.stack, k.cell));
    const list = containersOf.get(cell) ?? [];
    list.push(k);
    containersOf.set(cell, list);
  }
  const cells: CellStatus[] = [];
  for (const a of addresses) {
    if (a.kind !== "cell") continue;
    const key = formatAddress(a);
    const mine = containersOf.get(key) ?? [];
    const r = actual.resources[key];
    const hostNetwork =
      desired.get(key)?.hostNetwork ?? mine.some((k) => (k.spec as { hostNetwork?: unknown })?.hostNetwork === true);
    const attachment = r?.netns?.attachment ?? actual.attachments[netnsName(a)];
    const ip = attachment?.ip ?? r?.record?.extra.ip;
    cells.push({
      ...common(a),
      kind: "cell",
      space: a.space,
      stack: a.stack,
      ...cellState(mine),
      ...(ip !== undefined && !hostNetwork ? { ip } : {}),
      hostNetwork,
      running: mine.filter((k) => k.state === "Running").length,
      total: mine.length,
      containers: mine.map((k) => k.name),
    });
  }

  const stacks: StackStatus[] = [];
  for (const a of addresses) {
    if (a.kind !== "stack") continue;
    const c = common(a);
    const mine = cells.filter((k) => k.realm === a.realm && k.space === a.space && k.stack === a.stack);
    stacks.push({
      ...c,
      kind: "stack",
      space: a.space,
      state: c.cgroupPresent ? "Ready" : "Missing",
      cells: mine.length,
      readyCells: mine.filter((k) => k.state === "Ready").length,
    });
  }

  const spaces: SpaceStatus[] = [];
  for (const a of addresses) {
    if (a.kind !== "space") continue;
    const c = common(a);
    const record = actual.resources[formatAddress(a)]?.record;
    const name = networkName(a.realm, a.space);
    const net = actual.networks[name];
    const chain = egressChainName(a.realm, a.space);
    const expected = (c.spec?.network as { egress?: unknown } | undefined)?.egress !== undefined;
    const present = actual.egressChains.includes(chain);
    const networkPresent = net?.conflistPresent === true;
    const subnet = net?.subnet ?? record?.extra.subnet;
    spaces.push({
      ...c,
      kind: "space",
      state: !networkPresent ? "Missing" : expected && !present ? "Degraded" : "Ready",
      network: name,
      networkPresent,
      ...(subnet !== undefined ? { subnet } : {}),
      egress: { chain, expected, present },
      cells: cells.filter((k) => k.realm === a.realm && k.space === a.space).length,
    });
  }

  const realms: RealmStatus[] = [];
  for (const a of addresses) {
    if (a.kind !== "realm") continue;
    const namespace = namespaceOf(a.realm);
    const namespacePresent = actual.namespaces[namespace] !== undefined;
    realms.push({
      ...common(a),
      kind: "realm",
      state: namespacePresent ? "Ready" : "Missing",
      namespace,
      namespacePresent,
      spaces: spaces.filter((k) => k.realm === a.realm).length,
    });
  }

  const byAddress = <T extends { address: string }>(xs: T[]) => xs.sort((x, y) => x.address.localeCompare(y.address));
  return {
    realms: byAddress(realms),
    spaces: byAddress(spaces),
    stacks: byAddress(stacks),
    cells: byAddress(cells),
    containers: byAddress(containers),
  };
}

/** A container's state from containerd's view of it (null: containerd does not have it). */
export function containerState(
  found: ActualContainer | null | undefined,
  policy?: RestartPolicy,
): Pick<ContainerStatus, "state" | "stateText" | "exitCode"> {
  if (found === undefined) return { state: "Unknown", stateText: "Unknown" };
  if (found === null) return { state: "Missing", stateText: "Missing" };
  if (policy !== undefined && completed(found.task, policy))
    return { state: "Completed", stateText: "Completed", exitCode: 0 };
  switch (found.task.status) {
    case "running":
      return { state: "Running", stateText: "Running" };
    case "created":
      return { state: "Created", stateText: "Created" };
    case "stopped": {
      const code = found.task.exitCode;
      return code === undefined
        ? { state: "Stopped", stateText: "Stopped" }
        : { state: "Stopped", stateText: `Stopped (exit ${code})`, exitCode: code };
    }
    // The container is there without a task: stopped by kuke (stop deletes the task) or never started.
    case "missing":
      return { state: "Stopped", stateText: "Stopped" };
    case "paused":
      return { state: "Unknown", stateText: "Unknown (paused)" };
  }
}

/** A cell's state from its containers' states (see `CellState`). */
export function cellState(
  containers: Pick<ContainerStatus, "name" | "state" | "exitCode">[],
): Pick<CellStatus, "state" | "stateText" | "exitCodes" | "missing"> {
  const exitCodes: Record<string, number> = {};
  const missing: string[] = [];
  const problems: string[] = [];
  for (const k of containers) {
    if (k.state === "Missing") {
      missing.push(k.name);
      problems.push(`${k.name} missing`);
    } else if (k.exitCode !== undefined && k.exitCode !== 0) {
      exitCodes[k.name] = k.exitCode;
      problems.push(`${k.name} exit ${k.exitCode}`);
    }
  }
  const running = containers.filter((k) => k.state === "Running").length;
  const done = running + containers.filter((k) => k.state === "Completed").length;
  if (containers.length === 0) problems.push("no containers");
  const detail = problems.length > 0 ? ` (${problems.join(", ")})` : "";
  // A cell without containers has nothing running and nothing that could be Ready.
  const state =
    running > 0 && done === containers.length
      ? "Ready"
      : running > 0
        ? "Degraded"
        : problems.length > 0
          ? "Failed"
          : "Stopped";
  return { state, stateText: `${state}${state === "Ready" ? "" : detail}`, exitCodes, missing };
}

function roleOf(
  found: ActualContainer | null | undefined,
  record: ResourceRecord | undefined,
  entry: DeclaredResource | undefined,
): "root" | "workload" | undefined {
  const label = found?.labels[LABELS.role];
  if (label === "root" || label === "workload") return label;
  if (entry?.role) return entry.role;
  const root = record?.view.spec.root;
  return typeof root === "boolean" ? (root ? "root" : "workload") : undefined;
}

/** What `get` shows in place of a registry password or a secret's digest. */
export const SENSITIVE_OUTPUT = "(sensitive)";

/**
 * The spec as `get` may show it: a registry password, and the digest records keep of each secret,
 * are shown as `(sensitive)`. Digests are keyed (no guessing a value back), but output has no use
 * for them and a copied output should say nothing about a value.
 */
export function publicSpec(kind: Address["kind"], spec: Spec): Spec {
  const copy = structuredClone(spec);
  const mask = (list: JsonValue | undefined, field: string): JsonValue | undefined =>
    Array.isArray(list)
      ? list.map((c) => {
          const item = c as { [key: string]: JsonValue };
          return field in item ? { ...item, [field]: SENSITIVE_OUTPUT } : item;
        })
      : list;
  if (kind === "realm" && copy.registryCredentials !== undefined) {
    copy.registryCredentials = mask(copy.registryCredentials, "password") as JsonValue;
  }
  if (kind === "container" && copy.secrets !== undefined) {
    copy.secrets = mask(copy.secrets, "valueHash") as JsonValue;
  }
  return copy;
}
