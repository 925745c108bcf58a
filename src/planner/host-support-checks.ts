/**
 * Preflight of what the host must offer for the steps this plan will run, so an apply does not
 * fail half-way on it: the CNI plugins a network step runs, and the cgroup controllers a limit is
 * written through. The facts are read by the runner's refresh (`HostFacts.cniPlugins`,
 * `HostFacts.cgroupControllers`); absent facts (no refresh, an imperative verb) check nothing.
 */
import type { ActualState, Resources } from "../model/index.js";
import { sortAddressKeys } from "./address-keys.js";
import type { Draft } from "./plan-draft.js";
import type { Diagnostic } from "./types.js";

export interface HostSupportContext {
  actual: ActualState;
  drafts: Map<string, Draft>;
  errors: Diagnostic[];
}

/** What every attachment runs (ADD on create, DEL on teardown); `portmap` only for published ports. */
const ATTACH_PLUGINS = ["loopback", "bridge", "host-local"];
const PORT_PLUGIN = "portmap";

const builds = (d: Draft) => d.action === "create" || d.action === "replace";

/** The plugins each draft's network steps run, by plugin type → the addresses that need it. */
function pluginNeeds(drafts: Map<string, Draft>): Map<string, string[]> {
  const needs = new Map<string, string[]>();
  const need = (types: string[], key: string) => {
    for (const t of types) needs.set(t, [...(needs.get(t) ?? []), key]);
  };
  for (const d of drafts.values()) {
    if (d.kind === "space" && builds(d)) need(ATTACH_PLUGINS, d.key);
    if (d.kind !== "cell") continue;
    const desiredPorts = (d.desired?.ports ?? []).length > 0;
    const recordedPorts = Array.isArray(d.record?.view.spec.ports) && d.record.view.spec.ports.length > 0;
    // Torn down: the attachment's DEL runs every plugin that ADDed it.
    const detaches = (d.action === "delete" || d.action === "replace") && d.record?.extra.ip !== undefined;
    const attaches = builds(d) && d.desired?.hostNetwork !== true;
    if (attaches || detaches) need(ATTACH_PLUGINS, d.key);
    const portsMoved =
      d.action === "update" && d.changedPaths.some((p) => p === "spec.ports" || p.startsWith("spec.ports"));
    if ((attaches && desiredPorts) || (detaches && recordedPorts) || portsMoved) need([PORT_PLUGIN], d.key);
  }
  return needs;
}

/** A CNI plugin a network step of this plan runs must be installed. */
export function checkCniPlugins(ctx: HostSupportContext): void {
  const facts = ctx.actual.cniPlugins;
  if (facts === undefined) return;
  for (const [type, keys] of pluginNeeds(ctx.drafts)) {
    if (facts.present[type] !== false) continue;
    const shown = sortAddressKeys([...new Set(keys)]);
    ctx.errors.push({
      severity: "error",
      code: "failed-precondition",
      address: shown[0]!,
      summary: `CNI plugin '${type}' is not installed, and this plan runs it${type === PORT_PLUGIN ? " (published ports)" : ""}`,
      detail: [
        `searched: ${facts.dirs.join(", ")}`,
        `needed by: ${shown.slice(0, 5).join(", ")}${shown.length > 5 ? ` and ${shown.length - 5} more` : ""}`,
      ].join("\n"),
      remedy:
        "install the CNI plugins (Debian: apt-get install containernetworking-plugins); 'kuke init' reports which are present",
    });
  }
}

const LIMIT_CONTROLLER: Record<keyof Resources, string> = {
  memoryLimitBytes: "memory",
  cpuShares: "cpu",
  pidsLimit: "pids",
};

/** A limit this plan writes (a container created, replaced or updated) needs its controller. */
export function checkCgroupControllers(ctx: HostSupportContext): void {
  const facts = ctx.actual.cgroupControllers;
  if (facts === undefined) return;
  for (const d of ctx.drafts.values()) {
    if (d.kind !== "container" || d.action === "noop" || d.action === "delete" || d.action === "read") continue;
    const resources = d.desired?.container?.resources ?? {};
    for (const [field, controller] of Object.entries(LIMIT_CONTROLLER) as [keyof Resources, string][]) {
      if (resources[field] === undefined || facts.available.includes(controller)) continue;
      ctx.errors.push({
        severity: "error",
        code: "failed-precondition",
        address: d.key,
        summary: `cgroup controller '${controller}' is not available on this host (cgroup ${facts.version}), and spec.resources.${field} needs it`,
        detail: `available: ${facts.available.length > 0 ? facts.available.join(", ") : "none of cpu, memory, pids"}`,
        remedy:
          facts.version === "v2"
            ? `enable '${controller}' for kuke's cgroups (it must be listed in the root's cgroup.controllers, e.g. systemd Delegate=yes), or remove spec.resources.${field}`
            : `mount the '${controller}' hierarchy (mount -t cgroup -o ${controller} cgroup /sys/fs/cgroup/${controller}), or remove spec.resources.${field}`,
      });
    }
  }
}
