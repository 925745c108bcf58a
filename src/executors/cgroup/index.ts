export { type DetectOptions, detectCgroupDriver, parseCgroupMounts } from "./detect.js";
export type { CgroupDriver } from "./driver.js";
export { DEFAULT_CPU_SHARES, DEFAULT_CPU_WEIGHT, LIMIT_CONTROLLERS, sharesToWeight, weightToShares } from "./driver.js";
export { type CgroupHierarchy, CgroupV1Driver } from "./v1.js";
export { CgroupV2Driver, type CgroupV2Options } from "./v2.js";
