export { cellOfNetns, discover } from "./discover.js";
export { purgeSteps } from "./steps.js";
export type * from "./types.js";
