import { type ContainerAddress, containerdId, parseAddress, type RecordExtra } from "../model/index.js";
import type { RunContext } from "./run-context.js";
import type { StepHandler } from "./step-handler.js";

/** Steps on kuke's own records: what was applied, with the values the host assigned during the run. */

/**
 * Writes the step's view and hash with `extra` from this run (a cell's IP from its attach step, a
 * space's subnet from its network step, a container's containerd id and namespace); values this
 * run did not touch keep what the previous record said.
 */
export const recordWrite: StepHandler<"record.write"> = async (ctx, s) => {
  const a = parseAddress(s.address);
  const previous = await ctx.host.records.get(a);
  const extra: RecordExtra = { ...previous?.extra, ...(await extraOf(ctx, s.address, s.view.spec)) };
  await ctx.host.records.put({
    address: s.address,
    kind: a.kind,
    project: s.project,
    view: s.view,
    specHash: s.specHash,
    extra,
    appliedAt: new Date().toISOString(),
  });
};

export const recordDelete: StepHandler<"record.delete"> = async (ctx, s) => {
  await ctx.host.records.delete(parseAddress(s.address));
};

async function extraOf(ctx: RunContext, key: string, spec: Record<string, unknown>): Promise<RecordExtra> {
  const a = parseAddress(key);
  switch (a.kind) {
    case "realm":
      return typeof spec.namespace === "string" ? { namespace: spec.namespace } : {};
    case "space": {
      const subnet = ctx.subnets.get(key);
      return subnet !== undefined ? { subnet } : {};
    }
    case "cell": {
      const att = ctx.attachments.get(key);
      if (att === undefined) return {};
      return { ip: att.ip, ...(att.gateway ? { gateway: att.gateway } : {}), ...(att.mac ? { mac: att.mac } : {}) };
    }
    case "container": {
      const made = ctx.containers.get(key);
      if (made !== undefined) return { namespace: made.namespace, containerdId: made.containerdId };
      return { containerdId: containerdId(a as ContainerAddress) };
    }
    case "stack":
      return {};
  }
}
