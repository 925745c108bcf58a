export * from "./address.js";
export * from "./canonical.js";
export * from "./errors.js";
export * from "./host-names.js";
export * from "./names.js";
export * from "./normalize.js";
export * from "./types.js";
