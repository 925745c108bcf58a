/**
 * The planner's working record for one address while rules are applied, and its conversion into
 * the plain `ResourceChange` a plan holds. Rules only ever *raise* a draft (a stronger action or
 * effect wins), so the order in which rules run does not change the outcome.
 */
import type { ActualState, ResourceKind, ResourceRecord, ResourceView } from "../model/index.js";
import { forcesReplacement, strongest } from "./field-effects.js";
import { type DesiredEntry, maskView } from "./resource-view.js";
import type { Action, ChangeReason, FieldChange, FieldEffect, ResourceChange } from "./types.js";

export interface Draft {
  key: string;
  kind: ResourceKind;
  desired: DesiredEntry | undefined;
  record: ResourceRecord | undefined;
  action: Action;
  effect: FieldEffect;
  changedPaths: string[];
  fieldEffects: FieldChange[];
  reason: ChangeReason | undefined;
  restarts: boolean;
  /** No record, but kuke's leftovers are on the host: it can be replaced (torn down and made again). */
  leftover: boolean;
}

const RANK: Record<Action, number> = { noop: 0, read: 0, update: 1, create: 2, replace: 2, delete: 3 };

export function newDraft(key: string, desired: DesiredEntry | undefined, record: ResourceRecord | undefined): Draft {
  return {
    key,
    kind: key.slice(0, key.indexOf("/")) as ResourceKind,
    desired,
    record,
    action: "noop",
    effect: "none",
    changedPaths: [],
    fieldEffects: [],
    reason: undefined,
    restarts: false,
    leftover: false,
  };
}

/**
 * Raises `draft` to at least `action` and `effect`. The reason of the stronger action wins; an
 * equal action keeps the first reason given. Something without a record cannot be replaced, only
 * created — unless it left leftovers on the host, which the replacement tears down first.
 */
export function raise(draft: Draft, action: Action, effect: FieldEffect, reason?: ChangeReason): void {
  const wanted: Action = action === "replace" && draft.record === undefined && !draft.leftover ? "create" : action;
  const stronger = RANK[wanted] > RANK[draft.action];
  if (stronger) draft.action = wanted;
  if (reason !== undefined && (stronger || draft.reason === undefined)) draft.reason = reason;
  draft.effect = strongest([draft.effect, effect]);
}

function withComputed(view: ResourceView, record: ResourceRecord | undefined): ResourceView {
  const computed: Record<string, string> = {};
  if (record?.extra.ip !== undefined) computed.ip = record.extra.ip;
  if (record?.extra.subnet !== undefined) computed.subnet = record.extra.subnet;
  return Object.keys(computed).length > 0 ? { ...view, computed } : view;
}

/** Values the host assigns when the resource is made: shown as "(known after apply)". */
function knownAfterApply(draft: Draft): string[] {
  if (draft.action !== "create" && draft.action !== "replace") return [];
  if (draft.kind === "space") return ["computed.subnet"];
  if (draft.kind === "cell" && draft.desired?.hostNetwork !== true) return ["computed.ip"];
  return [];
}

export function finishChange(draft: Draft, _actual: ActualState): ResourceChange {
  const beforeRaw =
    draft.action === "create" || draft.record === undefined ? null : withComputed(draft.record.view, draft.record);
  const afterRaw = draft.action === "delete" || draft.desired === undefined ? null : draft.desired.view;
  const before = maskView(draft.kind, beforeRaw);
  const after = maskView(draft.kind, afterRaw);
  const sensitivePaths = [...new Set([...before.paths, ...after.paths])].sort();
  const effect: FieldEffect = draft.action === "noop" ? "none" : draft.effect;
  const change: ResourceChange = {
    address: draft.key,
    kind: draft.kind,
    action: draft.action,
    effect,
    before: before.view,
    after: after.view,
    changedPaths: draft.changedPaths,
    // An immutable field forces the replacement once --replace allowed it.
    fieldEffects: draft.fieldEffects.map((f) => ({
      ...f,
      forcesReplacement: forcesReplacement(f.effect) || (f.effect === "immutable" && draft.action === "replace"),
    })),
    sensitivePaths,
    knownAfterApply: knownAfterApply(draft),
    restarts: draft.action === "update" && draft.restarts,
  };
  if (draft.reason !== undefined) change.reason = draft.reason;
  const ignored = draft.desired?.ignored ?? [];
  if (ignored.length > 0 && draft.action !== "delete") change.ignoredPaths = ignored;
  return change;
}
