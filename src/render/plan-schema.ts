/**
 * The JSON Schema (draft 2020-12) of the versioned JSON plan (`kuke plan -o json`, the `plan` of a
 * saved plan file), printed by `kuke schema plan` for bots that read plans. Written as data beside
 * the renderer, and tied to the plan types at compile time: `closed<T>` takes exactly the keys of
 * `T` (a field added to the plan without its schema does not compile) and `oneOf<T>` every member
 * of a string union. Objects of the plan's own format are closed (`additionalProperties: false`);
 * the resource views inside (`before`, `after`) hold each kind's spec and stay open.
 */
import type { ErrorCode, Lifecycle, ResourceKind, ResourceView } from "../model/index.js";
import type {
  Action,
  ChangeReason,
  Diagnostic,
  DriftItem,
  DriftKind,
  FieldChange,
  FieldEffect,
  OrphanRemoval,
  Plan,
  PlanOptionsRecord,
  PlanSummary,
  ReasonKind,
  ResourceChange,
  RunStateChange,
  TaskChange,
  TaskOp,
} from "../planner/types.js";

/** A JSON Schema, as plain data. */
export type JsonSchema = { [keyword: string]: unknown };

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/** A closed object schema with a property for every key of `T`; the optional keys of `T` are not required. */
function closed<T>(properties: { [K in keyof T]-?: JsonSchema }, optional: readonly OptionalKeys<T>[]): JsonSchema {
  const required = Object.keys(properties).filter((k) => !(optional as readonly string[]).includes(k));
  return { type: "object", properties, required, additionalProperties: false };
}

/** An enum of every member of the string union `T` (the record makes the list complete). */
function oneOf<T extends string>(members: Record<T, true>): JsonSchema {
  return { enum: Object.keys(members) };
}

const string: JsonSchema = { type: "string" };
const strings: JsonSchema = { type: "array", items: string };
const boolean: JsonSchema = { type: "boolean" };
const count: JsonSchema = { type: "integer", minimum: 0 };
const stringMap: JsonSchema = { type: "object", additionalProperties: string };

const resourceKind = oneOf<ResourceKind>({ realm: true, space: true, stack: true, cell: true, container: true });
const fieldEffect = oneOf<FieldEffect>({
  none: true,
  live: true,
  restart: true,
  recreate: true,
  "recreate-cell": true,
  immutable: true,
});

const lifecycle = closed<Lifecycle>({ preventDestroy: boolean, ignoreChanges: strings }, [
  "preventDestroy",
  "ignoreChanges",
]);

const view = closed<ResourceView>(
  {
    labels: stringMap,
    spec: { type: "object", description: "The resource's effective spec, sensitive values masked" },
    computed: { ...stringMap, description: "Values the host assigns (a cell's ip, a space's subnet)" },
    lifecycle: { ...lifecycle, description: "The resource's lifecycle block, when it has one" },
  },
  ["computed", "lifecycle"],
);

const fieldChange = closed<FieldChange>({ path: string, effect: fieldEffect, forcesReplacement: boolean }, []);

const reason = closed<ChangeReason>(
  {
    kind: oneOf<ReasonKind>({ field: true, pruned: true, drift: true, requested: true, destroy: true }),
    text: string,
  },
  [],
);

const change = closed<ResourceChange>(
  {
    address: string,
    kind: resourceKind,
    action: oneOf<Action>({ create: true, update: true, replace: true, delete: true, noop: true, read: true }),
    effect: fieldEffect,
    before: { anyOf: [{ $ref: "#/$defs/view" }, { type: "null" }] },
    after: { anyOf: [{ $ref: "#/$defs/view" }, { type: "null" }] },
    changedPaths: strings,
    fieldEffects: { type: "array", items: { $ref: "#/$defs/fieldChange" } },
    reason: { $ref: "#/$defs/reason" },
    sensitivePaths: strings,
    knownAfterApply: strings,
    restarts: boolean,
    ignoredPaths: { ...strings, description: "Paths lifecycle.ignoreChanges keeps at their recorded value" },
  },
  ["reason", "ignoredPaths"],
);

const drift = closed<DriftItem>(
  {
    address: string,
    kind: oneOf<DriftKind>({
      "container-missing": true,
      "task-exited": true,
      "spec-changed": true,
      "cgroup-missing": true,
      "netns-missing": true,
      "attachment-missing": true,
      "root-task-dead": true,
      "namespace-missing": true,
      "network-missing": true,
      "egress-missing": true,
      "ports-differ": true,
      "left-behind": true,
      "unmanaged-object": true,
      "stopped-by-kuke": true,
    }),
    text: string,
    interrupted: { const: true, description: "Left so by kuke's own interrupted apply, not changed outside kuke" },
  },
  ["interrupted"],
);

const diagnostic = closed<Diagnostic>(
  {
    severity: { enum: ["error", "warning"] },
    code: oneOf<ErrorCode>({
      "invalid-spec": true,
      usage: true,
      "not-found": true,
      "already-exists": true,
      unavailable: true,
      "failed-precondition": true,
      busy: true,
      retryable: true,
      "lock-held": true,
      "stale-plan": true,
      guard: true,
      cancelled: true,
      permission: true,
      runtime: true,
    }),
    address: string,
    summary: string,
    detail: string,
    remedy: string,
  },
  ["address", "detail", "remedy"],
);

const options = closed<PlanOptionsRecord>(
  { project: string, prune: boolean, targets: strings, replace: strings, destroy: boolean, refresh: boolean },
  [],
);

const summary = closed<PlanSummary>({ add: count, change: count, replace: count, destroy: count }, []);

const task = closed<TaskChange>(
  {
    address: string,
    op: oneOf<TaskOp>({ start: true, stop: true, kill: true }),
    signal: { type: "integer", minimum: 1 },
    after: strings,
  },
  ["signal"],
);

const orphan = closed<OrphanRemoval>(
  {
    object: {
      enum: ["snapshot", "lease"],
      description: "A rootfs snapshot no container uses, or a lease whose kuke process is gone or that expired",
    },
    namespace: { type: "string", description: "The containerd namespace that holds it" },
    id: { type: "string", description: "The snapshot key or the lease id" },
    address: {
      type: "string",
      description: "The container its kukeon.io/* labels name, else the realm whose namespace holds it",
    },
    text: string,
  },
  [],
);

const runState = closed<RunStateChange>({ address: string, runState: { enum: ["running", "stopped"] } }, []);

/** The schema `kuke schema plan` prints. */
export function planJsonSchema(): JsonSchema {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "kuke plan (format_version 1)",
    description:
      "The JSON plan of `kuke plan -o json` and `kuke show PLANFILE -o json`. A change that removes or renames " +
      "a field bumps format_version.",
    ...closed<Plan>(
      {
        format_version: { const: "1" },
        created: { type: "string", description: "When the plan was made (ISO 8601)" },
        options: { $ref: "#/$defs/options" },
        changes: { type: "array", items: { $ref: "#/$defs/change" } },
        drift: { type: "array", items: { $ref: "#/$defs/drift" } },
        notInConfiguration: strings,
        errors: { type: "array", items: { $ref: "#/$defs/diagnostic" } },
        fingerprints: stringMap,
        summary: { $ref: "#/$defs/summary" },
        tasks: { type: "array", items: { $ref: "#/$defs/task" } },
        runStates: { type: "array", items: { $ref: "#/$defs/runState" } },
        orphans: {
          type: "array",
          items: { $ref: "#/$defs/orphan" },
          description: "What an interrupted apply left in containerd (kuke's labels, unused): apply removes it",
        },
      },
      ["tasks", "runStates", "orphans"],
    ),
    $defs: { options, change, view, fieldChange, reason, drift, diagnostic, summary, task, runState, orphan },
  };
}
