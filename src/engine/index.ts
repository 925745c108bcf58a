export {
  type EngineEvent,
  type EngineNote,
  type ExecuteOptions,
  type ExecuteResult,
  executeSteps,
  type StepFailure,
} from "./execute.js";
export type { EngineNetwork, Host } from "./host.js";
