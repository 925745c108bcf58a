/**
 * kuke as a library: the Runner (kukeon's runner operations, each a small plan run by kuke's
 * engine), the address helpers that name resources, and the public data types.
 */
export type { StepFailure } from "./engine/index.js";
export {
  type Address,
  type CellAddress,
  type CellInput,
  type ContainerAddress,
  type ContainerInput,
  cellAddress,
  containerAddress,
  type DesiredState,
  type ErrorCode,
  formatAddress,
  isKukeError,
  KukeError,
  parseAddress,
  type RealmAddress,
  type RealmSpec,
  realmAddress,
  type SpaceAddress,
  type SpaceSpec,
  type StackAddress,
  spaceAddress,
  stackAddress,
} from "./model/index.js";
export type { DriftItem, Plan, ResourceChange, TaskOp } from "./planner/index.js";
export type { PurgeReport } from "./purge/index.js";
export type { ExistenceReport, LogsOptions, RefreshResult } from "./runner/imperative/inspect.js";
export type { PurgeResult } from "./runner/imperative/purge.js";
export type { ChangeMode, ResourceInput } from "./runner/imperative/resources.js";
export type {
  ChangeResult,
  PipelineOptions as RunnerOptions,
  RunEvent,
  RunReport,
  StepRef,
} from "./runner/pipeline.js";
export { type ListScope, Runner } from "./runner/runner.js";
export type * from "./status/index.js";
