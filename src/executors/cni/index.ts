export { loopbackConflist, pickCniVersion, type SpaceNetworkParams, spaceConflist } from "./conflist.js";
export {
  type AppliedEgress,
  EgressFirewall,
  egressRules,
  jumpRule,
  type Resolver,
  type SpaceTraffic,
  systemResolver,
} from "./egress.js";
export { withFileLock } from "./file-lock.js";
export { NetnsPinner } from "./netns.js";
export {
  type CniAttachment,
  type CniBootstrapReport,
  NetworkExecutor,
  type NetworkExecutorOptions,
  type NetworkLeaks,
  type SpaceNetwork,
} from "./network-executor.js";
export { CniPluginError, type CniResult, type CniRuntime, type ConfList, PluginRunner } from "./plugin-exec.js";
export { SubnetAllocator, type SubnetRecord } from "./subnet-allocator.js";
