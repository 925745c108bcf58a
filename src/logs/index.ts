export { containerLogPath, type ReadLogsOptions, readLogs } from "./read-logs.js";
