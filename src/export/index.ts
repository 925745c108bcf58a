export { exportKubernetes, SOURCE_ANNOTATION } from "./export.js";
export { objectFileName, renderAll, renderObject } from "./render.js";
export type {
  ExportedObject,
  ExportOptions,
  ExportResult,
  ExportWarning,
  KubeObject,
  WorkloadKind,
} from "./types.js";
export { WORKLOAD_KINDS } from "./types.js";
