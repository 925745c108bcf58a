import type { CellAddress, SpaceAddress } from "../model/address.js";
import { parseAddress } from "../model/address.js";
import { KukeError } from "../model/errors.js";
import { type PortMapping, parsePortMapping } from "../model/ports.js";
import type { StepHandler } from "./step-handler.js";

/** Steps carried out by the network executor: space networks, egress, netns pins, CNI attachments. */

const space = (address: string) => parseAddress(address) as SpaceAddress;
const cell = (address: string) => parseAddress(address) as CellAddress;

export const networkEnsure: StepHandler<"network.ensure"> = async (ctx, s) => {
  const net = await ctx.host.network.ensureSpaceNetwork(s.realm, s.space);
  ctx.subnets.set(s.address, net.subnet);
};

export const networkRemove: StepHandler<"network.remove"> = (ctx, s) => {
  const a = space(s.address);
  return ctx.host.network.removeSpaceNetwork(a.realm, a.space);
};

export const egressApply: StepHandler<"egress.apply"> = async (ctx, s) => {
  const a = space(s.address);
  await ctx.host.network.applyEgress(a.realm, a.space, s.policy);
};

export const egressRemove: StepHandler<"egress.remove"> = (ctx, s) => {
  const a = space(s.address);
  return ctx.host.network.removeEgress(a.realm, a.space);
};

/** Pins the namespace of the cell's root task, so it outlives the root process for CNI DEL. */
export const netnsPin: StepHandler<"netns.pin"> = async (ctx, s) => {
  const pid = await ctx.taskPid(s.namespace, s.rootContainerdId);
  if (pid === undefined) {
    throw new KukeError("failed-precondition", "the cell's root task is not running; nothing to pin", {
      address: cell(s.address),
      detail: `root container ${s.rootContainerdId} in namespace ${s.namespace}`,
      remedy: "run kuke apply again: the plan replaces a cell whose root died",
    });
  }
  await ctx.host.network.pin(cell(s.address), pid);
};

export const netnsUnpin: StepHandler<"netns.unpin"> = (ctx, s) => ctx.host.network.unpin(cell(s.address));

/** Attaches the cell with its published ports, then tells the space's cells its name. */
export const cniAttach: StepHandler<"cni.attach"> = async (ctx, s) => {
  const c = cell(s.address);
  let attachment: Awaited<ReturnType<typeof ctx.host.network.attach>>;
  try {
    // The namespace is the root task's, made by runc, which brings its `lo` up.
    attachment = await ctx.host.network.attach(c, portsOf(s.ports), { loopbackUp: true });
  } catch (e) {
    // What the attach left recorded is unknown: the next name update lists the attachments again.
    ctx.dns.forgetAttachments();
    throw e;
  }
  ctx.attachments.set(s.address, attachment);
  ctx.dns.attached(c, attachment.network, attachment.ip);
  await ctx.dns.refreshSpace(c.realm, c.space);
};

/** Moves an attached cell's published ports; its address and containers stay. */
export const cniPorts: StepHandler<"cni.ports"> = async (ctx, s) => {
  await ctx.host.network.setPorts(cell(s.address), portsOf(s.ports));
};

/** Detaches the cell, removes its name files and takes its name out of the space's other cells. */
export const cniDetach: StepHandler<"cni.detach"> = async (ctx, s) => {
  const c = cell(s.address);
  try {
    await ctx.host.network.detach(c);
  } catch (e) {
    ctx.dns.forgetAttachments();
    throw e;
  }
  await ctx.dns.remove(c);
  await ctx.dns.refreshSpace(c.realm, c.space);
};

/** Canonical port texts (validated by the manifest loader) as mappings. */
function portsOf(texts: string[] | undefined): PortMapping[] {
  return (texts ?? []).map((t) => {
    const p = parsePortMapping(t);
    if (typeof p === "string") throw new KukeError("invalid-spec", `port '${t}' ${p}`);
    return p;
  });
}
