export { actualState } from "./actual-state.js";
export { FIELD_TABLE, type FieldRow, fieldEffect, isSensitive } from "./field-effects.js";
export { compareAddressKeys, type PlanOptions, plan, sortAddressKeys } from "./plan.js";
export { SENSITIVE_MARKER } from "./resource-view.js";
export type * from "./step-types.js";
export { planToSteps } from "./steps.js";
export type * from "./types.js";
export { FIELD_EFFECTS } from "./types.js";
