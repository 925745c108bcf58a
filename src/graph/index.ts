export * from "./dag.js";
export * from "./dot.js";
export * from "./graph-errors.js";
export * from "./transforms.js";
export * from "./walk.js";
