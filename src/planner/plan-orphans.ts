/**
 * kuke's orphans in containerd that a plan removes: what a killed kuke left (a rootfs snapshot no
 * container uses, a lease whose kuke process is gone or that expired). Refresh finds them by
 * kuke's labels (`HostFacts.orphans`); here each is attributed to an address and kept when the plan
 * is about that address:
 *
 * - apply removes those in the namespaces of the realms it works in (a `--target` narrows that to
 *   the orphans attributed inside a target);
 * - destroy removes those attributed inside what it destroys (a realm: every one in its namespace).
 *
 * An orphan is attributed to the container its `kukeon.io/*` labels name, else to the realm whose
 * namespace holds it; one in a namespace of no known realm is left alone.
 */
import {
  type ActualState,
  type Address,
  addressOf,
  type DesiredState,
  formatAddress,
  isWithin,
  parseAddress,
  realmAddress,
  recordedNamespace,
} from "../model/index.js";
import { compareAddressKeys } from "./address-keys.js";
import type { OrphanRemoval } from "./types.js";

/** How the plan calls an orphan: kuke's own, never a change made outside kuke. */
export const LEFT_BY_INTERRUPTED_APPLY = "left by an interrupted apply";

export interface OrphanScope {
  destroy: boolean;
  targets: readonly Address[];
}

/** The orphans the plan removes, in address order, then object and id. */
export function planOrphans(desired: DesiredState, actual: ActualState, scope: OrphanScope): OrphanRemoval[] {
  const found = actual.orphans ?? [];
  if (found.length === 0) return [];
  // The realm of each namespace kuke knows: declared realms first, then recorded ones.
  const realmOf = new Map<string, string>();
  for (const r of desired.realms) realmOf.set(r.spec.namespace, r.name);
  for (const key of Object.keys(actual.records)) {
    const realm = parseAddress(key).realm;
    const ns = recordedNamespace(actual, realm);
    if (!realmOf.has(ns)) realmOf.set(ns, realm);
  }
  const touched = new Set<string>();
  for (const realm of desiredRealms(desired)) {
    const ns = desired.realms.find((r) => r.name === realm)?.spec.namespace ?? recordedNamespace(actual, realm);
    touched.add(ns);
    if (!realmOf.has(ns)) realmOf.set(ns, realm);
  }
  const destroyed = desiredAddresses(desired);
  const out: OrphanRemoval[] = [];
  for (const o of found) {
    const realm = realmOf.get(o.namespace);
    const key = o.container ?? (realm !== undefined ? formatAddress(realmAddress(realm)) : undefined);
    if (key === undefined) continue;
    const address = parseAddress(key);
    const kept = scope.destroy
      ? destroyed.some((d) => isWithin(address, d))
      : touched.has(o.namespace) && (scope.targets.length === 0 || scope.targets.some((t) => isWithin(address, t)));
    if (!kept) continue;
    out.push({
      object: o.object,
      namespace: o.namespace,
      id: o.id,
      address: key,
      text: `${LEFT_BY_INTERRUPTED_APPLY}: ${o.why}`,
    });
  }
  return out.sort(
    (a, b) => compareAddressKeys(a.address, b.address) || a.object.localeCompare(b.object) || a.id.localeCompare(b.id),
  );
}

/** Realms the files work in, declared or not (a stack file of an existing realm). */
function desiredRealms(desired: DesiredState): Set<string> {
  return new Set([...desired.realms.map((r) => r.name), ...desiredAddresses(desired).map((a) => a.realm)]);
}

/** Every resource the files declare (containers are inside their cells). */
function desiredAddresses(desired: DesiredState): Address[] {
  return [
    ...desired.realms.map((r) => addressOf("realm", [r.name])),
    ...desired.spaces.map((s) => addressOf("space", [s.realm, s.name])),
    ...desired.stacks.map((s) => addressOf("stack", [s.realm, s.space, s.name])),
    ...desired.cells.map((c) => addressOf("cell", [c.realm, c.space, c.stack, c.name])),
  ];
}
