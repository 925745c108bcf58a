export {
  type EngineEvent,
  type EngineNote,
  type ExecuteOptions,
  type ExecuteResult,
  executeSteps,
  type StepFailure,
} from "./execute.js";
export { type EngineNetwork, type Host, type HostOptions, openHost } from "./host.js";
