export { ancestorKeys, compareAddressKeys, parentKey, sortAddressKeys } from "./address-keys.js";
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
export { type PlanOptions, plan } from "./plan.js";
export { desiredFromRecords } from "./records-desired.js";
export { createRemedy, purgeRemedy } from "./remedies.js";
export { SENSITIVE_MARKER, SENSITIVE_UNREAD } from "./resource-view.js";
export type * from "./step-types.js";
export { planToSteps } from "./steps.js";
export type * from "./types.js";
export { FIELD_EFFECTS } from "./types.js";
