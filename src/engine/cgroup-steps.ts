import { parseAddress } from "../model/address.js";
import type { Resources } from "../model/types.js";
import type { StepHandler } from "./step-handler.js";

/** Steps carried out by the cgroup driver. */

const hasLimits = (r: Resources) =>
  r.memoryLimitBytes !== undefined || r.cpuShares !== undefined || r.pidsLimit !== undefined;

/**
 * New containers get no ensure (runc makes their cgroup from the OCI spec at task start); a
 * container's ensure repairs a running task's missing cgroup or precedes `kuke start`, so it
 * carries the container's limits. A container cgroup without limits is left at the kernel's
 * defaults, which saves a write per controller; other levels are created without limits.
 */
export const cgroupEnsure: StepHandler<"cgroup.ensure"> = (ctx, s) => {
  const limits = parseAddress(s.address).kind === "container" && hasLimits(s.resources) ? s.resources : undefined;
  return ctx.host.cgroups.ensure(s.cgroupPath, limits);
};

export const cgroupUpdate: StepHandler<"cgroup.update"> = (ctx, s) =>
  ctx.host.cgroups.setLimits(s.cgroupPath, s.resources);

export const cgroupRemove: StepHandler<"cgroup.remove"> = (ctx, s) => ctx.host.cgroups.remove(s.cgroupPath);
