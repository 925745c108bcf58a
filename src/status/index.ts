export { cellState, containerState, deriveStatus, publicSpec, type StatusOptions } from "./derive.js";
export type * from "./types.js";
