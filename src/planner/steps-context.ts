/** Shared state and helpers of plan → steps (see `steps.ts`). */
import {
  type ActualState,
  addressPath,
  type ContainerAddress,
  type ContainerSpec,
  cgroupPath,
  containerdId,
  parseAddress,
  type RegistryCredential,
  recordedNamespace,
} from "../model/index.js";
import { parentKey as parentKeyOf } from "./address-keys.js";
import type { DesiredEntry } from "./resource-view.js";
import type { Step } from "./step-types.js";
import type { DriftKind, Plan, ResourceChange } from "./types.js";

export type Ids = string[];

export interface Ctx {
  plan: Plan;
  actual: ActualState;
  entries: Map<string, DesiredEntry>;
  credentials: Map<string, RegistryCredential[]>;
  changes: Map<string, ResourceChange>;
  drift: Map<string, Set<DriftKind>>;
  steps: Map<string, Step>;
  /** Steps a parent's teardown waits for, per address. */
  gone: Map<string, Ids>;
  /** The same, collected per parent address. */
  goneByParent: Map<string, Ids>;
  /** Step ids per address. */
  byAddress: Map<string, Ids>;
  /** Steps a child's creation waits for, per address. */
  ready: Map<string, Ids>;
}

export const torn = (c: ResourceChange | undefined) => c?.action === "delete" || c?.action === "replace";
export const built = (c: ResourceChange | undefined) => c?.action === "create" || c?.action === "replace";

export function add(ctx: Ctx, step: Step): string {
  const existing = ctx.steps.get(step.id);
  if (existing !== undefined) {
    existing.dependsOn = [...new Set([...existing.dependsOn, ...step.dependsOn])].sort();
    return step.id;
  }
  step.dependsOn = [...new Set(step.dependsOn)].sort();
  ctx.steps.set(step.id, step);
  const list = ctx.byAddress.get(step.address);
  if (list === undefined) ctx.byAddress.set(step.address, [step.id]);
  else list.push(step.id);
  return step.id;
}

export const id = (kind: string, key: string) => `${kind}:${key}`;
export const parentKey = (key: string) => parentKeyOf(key) ?? key;
export const cgroupOf = (key: string) => cgroupPath(...addressPath(parseAddress(key)));

export function namespaceOf(ctx: Ctx, realm: string): string {
  const ns = ctx.entries.get(`realm/${realm}`)?.view.spec.namespace;
  return typeof ns === "string" ? ns : recordedNamespace(ctx.actual, realm);
}

/** Teardown-done ids of the direct children of `key` that this plan tears down. */
export function childrenGone(ctx: Ctx, key: string): Ids {
  return ctx.goneByParent.get(key) ?? [];
}

export function setGone(ctx: Ctx, key: string, ids: Ids): void {
  ctx.gone.set(key, ids);
  if (parseAddress(key).kind === "realm") return;
  const pk = parentKey(key);
  ctx.goneByParent.set(pk, [...(ctx.goneByParent.get(pk) ?? []), ...ids]);
}

/** A container as the host has it: from its record, else from its labels (a leftover), else as it would be named. */
export interface Recorded {
  key: string;
  address: ContainerAddress;
  namespace: string;
  containerdId: string;
  root: boolean;
  hostNetwork: boolean;
}

export function recordedContainer(ctx: Ctx, key: string): Recorded {
  const record = ctx.actual.records[key];
  const labeled = ctx.actual.labeled[key];
  const address = parseAddress(key) as ContainerAddress;
  const spec = record?.view.spec as unknown as ContainerSpec | undefined;
  const entry = ctx.entries.get(key);
  return {
    key,
    address,
    namespace: record?.extra.namespace ?? labeled?.namespace ?? namespaceOf(ctx, address.realm),
    containerdId: record?.extra.containerdId ?? labeled?.container.id ?? containerdId(address),
    root:
      spec !== undefined
        ? spec.root === true
        : labeled !== undefined
          ? labeled.role === "root"
          : entry?.role === "root",
    hostNetwork: spec?.hostNetwork ?? entry?.container?.hostNetwork ?? false,
  };
}
