export {
  cellState,
  containerState,
  type DeclaredResource,
  deriveStatus,
  publicSpec,
  type StatusOptions,
} from "./derive.js";
export type * from "./types.js";
