export * from "../fs/atomic-file.js";
export * from "./apply-journal.js";
export * from "./record-store.js";
export * from "./run-lock.js";
export * from "./run-path.js";
export * from "./secret-key.js";
