export { capLog, DEFAULT_LOG_MAX_BYTES, logFilesIn } from "./log-files.js";
export { type LogSource, type LogSourcesOptions, readLogSources, tailOffset } from "./log-sources.js";
export { type ReadLogsOptions, readLogs } from "./read-logs.js";
