export { cellOfNetns, discover } from "./discover.js";
export { purge } from "./purge.js";
export type * from "./types.js";
