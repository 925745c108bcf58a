export { type ReadLogsOptions, readLogs } from "./read-logs.js";
