/**
 * The planner: a pure function of (desired, actual, options) → Plan. It never reads the clock, the
 * file system or the host; everything it knows comes in through its arguments.
 */
import {
  type ActualState,
  type Address,
  addressPath,
  type DesiredState,
  formatAddress,
  type JsonValue,
  parentAddress,
  type ResourceRecord,
  specHash,
} from "../model/index.js";
import { ancestorKeys, compareAddressKeys, parentKey, sortAddressKeys } from "./address-keys.js";
import { detectDrift } from "./drift.js";
import { fieldEffect, forcesReplacement, strongest } from "./field-effects.js";
import { checkCgroupControllers, checkCniPlugins } from "./host-support-checks.js";
import { preventDestroyErrors } from "./lifecycle-guard.js";
import {
  checkCellsPerSpace,
  checkHostPorts,
  checkInTheWay,
  checkParents,
  checkSecretSources,
  checkStoredSecretEnv,
  checkSubnetPool,
} from "./plan-checks.js";
import { type Draft, finishChange, newDraft, raise } from "./plan-draft.js";
import { cellContainerKeys, hasHostState, isLeftover, LEFT_BEHIND } from "./plan-leftovers.js";
import { planOrphans } from "./plan-orphans.js";
import { type DesiredEntry, indexDesired } from "./resource-view.js";
import { applyScope } from "./scope.js";
import type { Diagnostic, DriftItem, Plan, PlanSummary } from "./types.js";
import { diffPaths } from "./value-diff.js";

export interface PlanOptions {
  /** Project that owns what this run applies; prune only touches records of this project. */
  project: string;
  /** Delete what this project applied earlier and the files no longer declare. @default false */
  prune: boolean;
  /** Limit the plan to these addresses, their descendants and the ancestors they need created. */
  targets: Address[];
  /** Force these addresses (and what they contain) to be replaced. */
  replace: Address[];
  /** Plan the deletion of everything desired (and found). @default false */
  destroy: boolean;
  /** Whether the actual state was refreshed; recorded in the plan, informational only. */
  refresh: boolean;
  /** Timestamp for `plan.created` (ISO string). */
  now: string;
}

interface Context {
  desired: Map<string, DesiredEntry>;
  actual: ActualState;
  options: PlanOptions;
  drafts: Map<string, Draft>;
  drift: DriftItem[];
  errors: Diagnostic[];
  /** Records by parent address, for cascades. */
  childrenOf: Map<string, string[]>;
  /** Ancestors of desired addresses: in use by what the files declare, so never pruned. */
  inUse: Set<string>;
}

export function plan(desired: DesiredState, actual: ActualState, options: PlanOptions): Plan {
  const ctx: Context = {
    desired: indexDesired(desired, actual),
    actual,
    options,
    drafts: new Map(),
    drift: [],
    errors: [],
    childrenOf: indexChildren(actual.records),
    inUse: new Set(),
  };
  for (const key of ctx.desired.keys()) for (const ak of ancestorKeys(key)) ctx.inUse.add(ak);
  if (options.destroy) {
    planDestroy(ctx);
  } else {
    for (const entry of ctx.desired.values()) planDesired(ctx, entry);
    checkParents(ctx);
    checkInTheWay(ctx);
    checkSecretSources(ctx);
    checkStoredSecretEnv(ctx);
    checkSubnetPool(ctx);
    checkCellsPerSpace(ctx);
    checkHostPorts(ctx);
    applyRequestedReplace(ctx);
    cascadeReplacements(ctx);
    planRemovals(ctx);
  }
  // After every rule: what the steps will run (network plugins, limit controllers) is known now.
  checkCniPlugins(ctx);
  checkCgroupControllers(ctx);
  const notInConfiguration = options.destroy ? [] : listNotInConfiguration(ctx);
  const scoped = applyScope(
    {
      drafts: ctx.drafts,
      drift: ctx.drift,
      errors: ctx.errors,
      notInConfiguration,
    },
    options.targets,
    [...ctx.desired.keys(), ...Object.keys(actual.records)],
  );
  const keys = sortAddressKeys([...scoped.drafts.keys()]);
  const changes = keys.map((k) => finishChange(scoped.drafts.get(k)!, actual));
  scoped.errors.push(...preventDestroyErrors(changes, (k) => ctx.desired.get(k)?.view));
  const fingerprints: Record<string, string> = {};
  for (const c of changes) {
    if (c.action !== "noop") fingerprints[c.address] = specHash(actual.resources[c.address] ?? null);
  }
  const orphans = planOrphans(desired, actual, options);
  const summary: PlanSummary = { add: 0, change: 0, replace: 0, destroy: 0 };
  for (const c of changes) {
    if (c.action === "create") summary.add++;
    else if (c.action === "update") summary.change++;
    else if (c.action === "replace") summary.replace++;
    else if (c.action === "delete") summary.destroy++;
  }
  return {
    format_version: "1",
    created: options.now,
    options: {
      project: options.project,
      prune: options.prune,
      targets: options.targets.map(formatAddress),
      replace: options.replace.map(formatAddress),
      destroy: options.destroy,
      refresh: options.refresh,
    },
    changes,
    drift: scoped.drift.sort((a, b) => compareAddressKeys(a.address, b.address) || a.kind.localeCompare(b.kind)),
    notInConfiguration: scoped.notInConfiguration.sort(compareAddressKeys),
    errors: scoped.errors.sort(
      (a, b) =>
        compareAddressKeys(a.address ?? "realm/a", b.address ?? "realm/a") || a.summary.localeCompare(b.summary),
    ),
    fingerprints,
    summary,
    ...(orphans.length > 0 ? { orphans } : {}),
  };
}

function indexChildren(records: Record<string, ResourceRecord>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const key of Object.keys(records)) {
    const pk = parentKey(key);
    if (pk === undefined) continue;
    const list = out.get(pk);
    if (list === undefined) out.set(pk, [key]);
    else list.push(key);
  }
  return out;
}

/** `sha256:0123456789ab…`: enough of a digest to tell two apart in a one-line reason. */
function shortDigest(digest: unknown): string {
  return typeof digest === "string" ? `${digest.slice(0, "sha256:".length + 12)}…` : "(none)";
}

/**
 * The reason for a replacement caused by the tag alone, `image app:latest moved: sha256:a… ->
 * sha256:b…`; undefined when the image reference itself changed (its own field is the reason).
 */
function imageMoved(
  before: { [key: string]: JsonValue },
  after: { [key: string]: JsonValue },
  changed: string[],
): string | undefined {
  if (!changed.includes("spec.imageDigest") || changed.includes("spec.image")) return undefined;
  return `image ${String(after.image)} moved: ${shortDigest(before.imageDigest)} -> ${shortDigest(after.imageDigest)}`;
}

/** Field diff plus drift for one desired resource. */
function planDesired(ctx: Context, entry: DesiredEntry): void {
  const record = ctx.actual.records[entry.key];
  const draft = ctx.drafts.get(entry.key) ?? newDraft(entry.key, entry, record);
  ctx.drafts.set(entry.key, draft);
  if (record === undefined) {
    if ((entry.kind === "container" || entry.kind === "cell") && isLeftover(ctx.actual, entry.key)) {
      // What is there was made by kuke but never recorded: tear it down and make it afresh.
      draft.leftover = true;
      ctx.drift.push({ address: entry.key, kind: "left-behind", text: LEFT_BEHIND });
      const effect = entry.kind === "cell" ? "recreate-cell" : "recreate";
      raise(draft, "replace", effect, { kind: "drift", text: `drift: ${LEFT_BEHIND}` });
    } else {
      draft.action = "create";
    }
    return;
  }
  const role = entry.role ?? "workload";
  // `lifecycle` is diffed too (its rows are records-only): the record must keep what guards read.
  const before = { labels: record.view.labels, spec: record.view.spec, lifecycle: record.view.lifecycle ?? {} };
  const after = { labels: entry.view.labels, spec: entry.view.spec, lifecycle: entry.view.lifecycle ?? {} };
  draft.changedPaths = diffPaths(before, after);
  draft.fieldEffects = draft.changedPaths.map((path) => {
    const effect = fieldEffect(entry.kind, path, role);
    return { path, effect, forcesReplacement: forcesReplacement(effect) };
  });
  const effect = strongest(draft.fieldEffects.map((f) => f.effect));
  if (draft.changedPaths.length > 0) raise(draft, "update", effect);
  if (effect === "restart") draft.restarts = true;
  const forcing = draft.fieldEffects.find((f) => f.effect === effect);
  const moved = imageMoved(before.spec, after.spec, draft.changedPaths);
  if (effect === "recreate") {
    raise(draft, "replace", effect, { kind: "field", text: moved ?? `field ${forcing?.path} forces replacement` });
  } else if (effect === "recreate-cell") {
    const cell = entry.kind === "cell" ? entry.address : parentAddress(entry.address)!;
    const path =
      entry.kind === "cell"
        ? forcing?.path
        : `spec.containers[${addressPath(entry.address).at(-1)}].${forcing?.path.replace(/^spec\./, "")}`;
    const text =
      moved !== undefined && forcing?.path === "spec.imageDigest" ? moved : `field ${path} forces replacement`;
    replaceCell(ctx, formatAddress(cell), { kind: "field", text });
  } else if (effect === "immutable") {
    const paths = draft.fieldEffects.filter((f) => f.effect === "immutable").map((f) => f.path);
    if (!ctx.options.replace.some((r) => formatAddress(r) === entry.key)) {
      ctx.errors.push({
        severity: "error",
        code: "failed-precondition",
        address: entry.key,
        summary: `${paths.join(", ")} cannot change in place`,
        detail: "Changing it rebuilds the resource and everything inside it.",
        remedy: `re-run with --replace ${entry.key}`,
      });
    }
  }
  const actualResource = ctx.actual.resources[entry.key];
  if (actualResource === undefined) return;
  for (const f of detectDrift(entry, actualResource, ctx.actual.restartMonitor)) {
    ctx.drift.push(f.item);
    const reason = { kind: "drift" as const, text: `drift: ${f.item.text}` };
    if (f.repair === "none") continue;
    if (f.repair === "replace-cell") {
      const cell = entry.kind === "cell" ? entry.key : formatAddress(parentAddress(entry.address)!);
      replaceCell(ctx, cell, reason);
    } else {
      raise(draft, f.repair, f.effect, reason);
      if (f.restarts) draft.restarts = true;
    }
  }
}

/** Marks a cell for replacement; its containers follow in `cascadeReplacements`. */
function replaceCell(ctx: Context, cellKey: string, reason: Draft["reason"] & object): void {
  let draft = ctx.drafts.get(cellKey);
  if (!ctx.desired.has(cellKey)) {
    ctx.errors.push({
      severity: "error",
      code: "failed-precondition",
      address: cellKey,
      summary: `the cell must be replaced (${reason.text}) but is not declared in the files`,
      remedy: `declare ${cellKey} in the files`,
    });
    return;
  }
  if (draft === undefined) {
    draft = newDraft(cellKey, ctx.desired.get(cellKey), ctx.actual.records[cellKey]);
    ctx.drafts.set(cellKey, draft);
  }
  raise(draft, "replace", "recreate-cell", reason);
}

/** `--replace ADDR`: every recorded resource at or inside ADDR is replaced. */
function applyRequestedReplace(ctx: Context): void {
  for (const target of ctx.options.replace) {
    const key = formatAddress(target);
    const reason = { kind: "requested" as const, text: "requested with --replace" };
    const entry = ctx.desired.get(key);
    if (entry === undefined || ctx.actual.records[key] === undefined) {
      ctx.errors.push({
        severity: "warning",
        code: "not-found",
        address: key,
        summary: "--replace names a resource that is not both declared and applied; nothing to replace",
      });
      continue;
    }
    if (entry.kind === "container" && entry.role === "root") {
      replaceCell(ctx, formatAddress(parentAddress(target)!), reason);
    }
    raise(ctx.drafts.get(key)!, "replace", entry.kind === "cell" ? "recreate-cell" : "recreate", reason);
  }
}

/** A replaced resource takes every desired descendant with it: they live in its namespace, network or cgroup. */
function cascadeReplacements(ctx: Context): void {
  for (const draft of ctx.drafts.values()) {
    if (draft.action === "delete") continue;
    for (const ak of ancestorKeys(draft.key)) {
      const parent = ctx.drafts.get(ak);
      if (parent?.action !== "replace") continue;
      const reason = { kind: parent.reason?.kind ?? "field", text: `replaced along with ${ak}` };
      raise(draft, draft.record === undefined ? "create" : "replace", "none", draft.reason ? undefined : reason);
      break;
    }
  }
}

/**
 * Records of this project that the files no longer declare: removed containers always, the rest
 * with --prune. A parent of something declared is kept even when these files do not declare it
 * (a second file adding a cell to an existing stack): what is declared lives inside it.
 */
function planRemovals(ctx: Context): void {
  for (const [key, record] of Object.entries(ctx.actual.records)) {
    if (ctx.desired.has(key) || ctx.inUse.has(key) || record.project !== ctx.options.project) continue;
    const pk = parentKey(key);
    if (record.kind === "container" && pk !== undefined && ctx.desired.get(pk)?.kind === "cell") {
      planDelete(ctx, key, { kind: "field", text: `removed from spec.containers of ${pk}` });
    } else if (ctx.options.prune) {
      planDelete(ctx, key, { kind: "pruned", text: "not in configuration (pruned)" });
    }
  }
  // A container kuke made but never recorded, in a declared cell that no longer lists it.
  for (const key of Object.keys(ctx.actual.labeled)) {
    if (ctx.desired.has(key) || ctx.actual.records[key] !== undefined) continue;
    const pk = parentKey(key);
    if (pk === undefined || ctx.desired.get(pk)?.kind !== "cell") continue;
    ctx.drift.push({ address: key, kind: "left-behind", text: LEFT_BEHIND });
    planDelete(ctx, key, { kind: "drift", text: `drift: ${LEFT_BEHIND}` });
  }
}

/** Deletes `key` unless a record of another project lives inside it (deleting would break theirs). */
function planDelete(ctx: Context, key: string, reason: NonNullable<Draft["reason"]>): boolean {
  const foreign = foreignDescendant(ctx, key);
  if (foreign !== undefined) {
    ctx.errors.push({
      severity: "warning",
      code: "failed-precondition",
      address: key,
      summary: `kept: ${foreign} inside it belongs to another project`,
    });
    return false;
  }
  const draft = newDraft(key, undefined, ctx.actual.records[key]);
  draft.action = "delete";
  draft.reason = reason;
  ctx.drafts.set(key, draft);
  return true;
}

function foreignDescendant(ctx: Context, key: string): string | undefined {
  for (const child of ctx.childrenOf.get(key) ?? []) {
    if (ctx.actual.records[child]?.project !== ctx.options.project) return child;
    const deeper = foreignDescendant(ctx, child);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}

/**
 * Destroy: every desired resource that exists, and what this project recorded inside it. A
 * declared resource without a record but with something of it on the host (what an interrupted
 * apply left behind) is deleted too: nobody else can have made it under kuke's names and labels.
 */
function planDestroy(ctx: Context): void {
  const reason = { kind: "destroy" as const, text: "destroy" };
  const visit = (key: string) => {
    if (ctx.drafts.has(key)) return;
    const record = ctx.actual.records[key];
    if (record === undefined ? !hasHostState(ctx.actual, key) : record.project !== ctx.options.project) return;
    if (!planDelete(ctx, key, reason)) return;
    const children = ctx.childrenOf.get(key) ?? [];
    const labeled = key.startsWith("cell/") ? cellContainerKeys(ctx.actual, key) : [];
    for (const child of new Set([...children, ...labeled])) visit(child);
  };
  for (const key of ctx.desired.keys()) visit(key);
}

/** Outermost records of this project that are not declared, not in use by declared ones, and not being deleted. */
function listNotInConfiguration(ctx: Context): string[] {
  const out: string[] = [];
  const listable = (key: string) => !ctx.desired.has(key) && !ctx.inUse.has(key);
  for (const [key, record] of Object.entries(ctx.actual.records)) {
    if (!listable(key) || ctx.drafts.has(key) || record.project !== ctx.options.project) continue;
    const pk = parentKey(key);
    const parentListed = pk !== undefined && listable(pk) && ctx.actual.records[pk]?.project === ctx.options.project;
    if (!parentListed) out.push(key);
  }
  return out;
}
