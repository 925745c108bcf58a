/**
 * Plan-wide preconditions that make a plan an error instead of an apply that fails half-way: an
 * undeclared parent missing from the host, a foreign containerd object in the way, a secret whose
 * source cannot be read.
 */
import { type ActualState, type Address, containerdId, parentAddress, recordedNamespace } from "../model/index.js";
import { parentKey } from "./address-keys.js";
import { createRemedy, purgeRemedy } from "./remedies.js";
import type { DesiredEntry } from "./resource-view.js";
import type { Diagnostic, DriftItem } from "./types.js";

/** What the checks read and where they report (a subset of the planner's context). */
export interface CheckContext {
  desired: Map<string, DesiredEntry>;
  actual: ActualState;
  drift: DriftItem[];
  errors: Diagnostic[];
}

/** A declared resource needs its parent declared or on the host; kuke never creates it silently. */
export function checkParents(ctx: CheckContext): void {
  const reported = new Set<string>();
  for (const entry of ctx.desired.values()) {
    const parent = parentAddress(entry.address);
    const pk = parentKey(entry.key);
    if (parent === undefined || pk === undefined) continue;
    if (ctx.desired.has(pk) || ctx.actual.records[pk] !== undefined || reported.has(pk)) continue;
    reported.add(pk);
    ctx.errors.push({
      severity: "error",
      code: "not-found",
      address: entry.key,
      summary: `parent ${pk} is not declared in the files and does not exist on the host`,
      remedy: `declare ${pk} in the files, or run '${createRemedy(parent)}'`,
    });
  }
}

/** A containerd object with the id kuke would use, that kuke did not record, blocks a create. */
export function checkInTheWay(ctx: CheckContext): void {
  for (const entry of ctx.desired.values()) {
    if (entry.kind !== "container" || ctx.actual.records[entry.key] !== undefined) continue;
    const a = entry.address as Extract<Address, { kind: "container" }>;
    const realmNs = ctx.desired.get(`realm/${a.realm}`)?.view.spec.namespace;
    const ns = typeof realmNs === "string" ? realmNs : recordedNamespace(ctx.actual, a.realm);
    const id = containerdId(a);
    if (ctx.actual.namespaces[ns]?.containers[id] === undefined) continue;
    const own = ctx.actual.labeled[entry.key];
    if (own?.namespace === ns && own.container.id === id) continue; // kuke's leftover: replaced, see planDesired
    const text = `containerd container '${id}' in namespace '${ns}' exists but was not made by this apply`;
    ctx.drift.push({ address: entry.key, kind: "unmanaged-object", text });
    ctx.errors.push({
      severity: "error",
      code: "already-exists",
      address: entry.key,
      summary: text,
      remedy: `remove it with '${purgeRemedy(a)}', or rename the container`,
    });
  }
}

/** A secret whose source could not be read when planning would fail the apply half-way: refuse now. */
export function checkSecretSources(ctx: CheckContext): void {
  const all = ctx.actual.secretDigests;
  if (all === undefined) return;
  for (const entry of ctx.desired.values()) {
    const digests = all[entry.key];
    for (const s of entry.container?.secrets ?? []) {
      const d = digests?.[s.name];
      if (d === undefined || !("problem" in d)) continue;
      ctx.errors.push({
        severity: "error",
        code: "failed-precondition",
        address: entry.key,
        summary: d.problem,
        ...(d.remedy !== undefined ? { remedy: d.remedy } : {}),
      });
    }
  }
}
