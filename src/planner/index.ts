export { actualState, recordedNamespace } from "./actual-state.js";
export { FIELD_TABLE, type FieldRow, fieldEffect, isSensitive } from "./field-effects.js";
export {
  cellContainers,
  cellNeedsRebuild,
  DEFAULT_KILL_SIGNAL,
  planRemoval,
  planTaskOps,
  type RemovalRequest,
  type TaskOpsRequest,
} from "./imperative-plan.js";
export { ancestorKeys, compareAddressKeys, type PlanOptions, parentKey, plan, sortAddressKeys } from "./plan.js";
export { desiredFromRecords } from "./records-desired.js";
export { createRemedy, purgeRemedy } from "./remedies.js";
export { SENSITIVE_MARKER } from "./resource-view.js";
export type * from "./step-types.js";
export { planToSteps } from "./steps.js";
export type * from "./types.js";
export { FIELD_EFFECTS } from "./types.js";
