export { capLog, DEFAULT_LOG_MAX_BYTES, logFilesIn } from "./log-files.js";
export { type DecodeOptions, parseRecord, RecordDecoder, recordTimeMs } from "./log-records.js";
export { type LogSource, type LogSourcesOptions, readLogSources, tailRange } from "./log-sources.js";
export { type ReadLogsOptions, readLogs } from "./read-logs.js";
export { parseSince } from "./since.js";
