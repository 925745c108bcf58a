/**
 * The read-only input of the step emitters (see `steps.ts`): the plan and what it was made from,
 * indexed once. Emitters read it and return steps; nothing here changes after `stepInput`.
 */
import {
  type ActualState,
  addressPath,
  type ContainerAddress,
  type ContainerSpec,
  cgroupPath,
  containerdId,
  type DesiredState,
  monitorRestarts,
  parseAddress,
  type RegistryCredential,
  recordedNamespace,
} from "../model/index.js";
import { parentKey as parentKeyOf } from "./address-keys.js";
import { type DesiredEntry, indexDesired } from "./resource-view.js";
import type { DriftKind, Plan, ResourceChange } from "./types.js";

export interface StepInput {
  readonly plan: Plan;
  readonly actual: ActualState;
  readonly entries: ReadonlyMap<string, DesiredEntry>;
  readonly credentials: ReadonlyMap<string, RegistryCredential[]>;
  readonly changes: ReadonlyMap<string, ResourceChange>;
  readonly drift: ReadonlyMap<string, ReadonlySet<DriftKind>>;
}

export function stepInput(plan: Plan, desired: DesiredState, actual: ActualState): StepInput {
  const drift = new Map<string, Set<DriftKind>>();
  for (const d of plan.drift) {
    const set = drift.get(d.address) ?? new Set();
    set.add(d.kind);
    drift.set(d.address, set);
  }
  return {
    plan,
    actual,
    entries: indexDesired(desired, actual),
    credentials: new Map(desired.realms.map((r) => [r.name, r.spec.registryCredentials])),
    changes: new Map(plan.changes.map((c) => [c.address, c])),
    drift,
  };
}

export const torn = (c: ResourceChange | undefined) => c?.action === "delete" || c?.action === "replace";
export const built = (c: ResourceChange | undefined) => c?.action === "create" || c?.action === "replace";

export const id = (kind: string, key: string) => `${kind}:${key}`;
export const parentKey = (key: string) => parentKeyOf(key) ?? key;
export const cgroupOf = (key: string) => cgroupPath(...addressPath(parseAddress(key)));

export function namespaceOf(input: StepInput, realm: string): string {
  const ns = input.entries.get(`realm/${realm}`)?.view.spec.namespace;
  return typeof ns === "string" ? ns : recordedNamespace(input.actual, realm);
}

/** A container as the host has it: from its record, else from its labels (a leftover), else as it would be named. */
export interface Recorded {
  key: string;
  address: ContainerAddress;
  namespace: string;
  containerdId: string;
  root: boolean;
  hostNetwork: boolean;
  /** containerd's restart monitor holds its task (status label); stop, kill and delete take it back. */
  monitored?: true;
}

/** The container as refresh saw it carries the restart monitor's status label. */
export function heldByMonitor(input: StepInput, key: string): boolean {
  const c = input.actual.resources[key]?.container ?? input.actual.labeled[key]?.container;
  return c != null && monitorRestarts(c.labels);
}

export function recordedContainer(input: StepInput, key: string): Recorded {
  const record = input.actual.records[key];
  const labeled = input.actual.labeled[key];
  const address = parseAddress(key) as ContainerAddress;
  const spec = record?.view.spec as unknown as ContainerSpec | undefined;
  const entry = input.entries.get(key);
  return {
    key,
    address,
    namespace: record?.extra.namespace ?? labeled?.namespace ?? namespaceOf(input, address.realm),
    containerdId: record?.extra.containerdId ?? labeled?.container.id ?? containerdId(address),
    root:
      spec !== undefined
        ? spec.root === true
        : labeled !== undefined
          ? labeled.role === "root"
          : entry?.role === "root",
    hostNetwork: spec?.hostNetwork ?? entry?.container?.hostNetwork ?? false,
    ...(heldByMonitor(input, key) ? { monitored: true as const } : {}),
  };
}
