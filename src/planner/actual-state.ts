/**
 * Builds the per-address view of the host (`ActualState.resources`) from raw host facts. Refresh
 * fills `HostFacts` from bulk listings and calls `actualState()`; tests build facts by hand.
 */
import {
  type Address,
  addressPath,
  cgroupPath,
  containerAddress,
  containerdId,
  defaultNamespace,
  egressChainName,
  formatAddress,
  LABELS,
  MANAGED_BY,
  netnsName,
  networkName,
  parseAddress,
  realmAddress,
} from "../model/index.js";
import type { ActualResource, ActualState, HostFacts, LabeledContainer } from "./types.js";

/** The containerd namespace a realm uses: as recorded, else as its recorded spec says, else the default. */
export function recordedNamespace(facts: HostFacts, realm: string): string {
  const rec = facts.records[formatAddress(realmAddress(realm))];
  const ns = rec?.extra.namespace ?? rec?.view.spec.namespace;
  return typeof ns === "string" && ns !== "" ? ns : defaultNamespace(realm);
}

export function actualState(facts: HostFacts): ActualState {
  const cgroups = new Set(facts.cgroups);
  const pinned = new Set(facts.netnsPinned);
  const chains = new Set(facts.egressChains);
  const resources: Record<string, ActualResource> = {};
  for (const key of Object.keys(facts.records).sort()) {
    const record = facts.records[key]!;
    const a: Address = parseAddress(key);
    const r: ActualResource = {
      address: key,
      kind: a.kind,
      record,
      cgroupPresent: cgroups.has(cgroupPath(...addressPath(a))),
    };
    switch (a.kind) {
      case "realm":
        r.namespacePresent = facts.namespaces[recordedNamespace(facts, a.realm)] !== undefined;
        break;
      case "space": {
        const name = networkName(a.realm, a.space);
        const net = facts.networks[name];
        r.network = {
          name,
          conflistPresent: net?.conflistPresent ?? false,
          ...(net?.subnet !== undefined ? { subnet: net.subnet } : {}),
          egressChainPresent: chains.has(egressChainName(a.realm, a.space)),
        };
        break;
      }
      case "cell": {
        const name = netnsName(a);
        const attachment = facts.attachments[name];
        r.netns = { name, pinned: pinned.has(name), ...(attachment ? { attachment } : {}) };
        break;
      }
      case "container": {
        const ns = record.extra.namespace ?? recordedNamespace(facts, a.realm);
        const id = record.extra.containerdId ?? containerdId(a);
        r.container = facts.namespaces[ns]?.containers[id] ?? null;
        break;
      }
      case "stack":
        break;
    }
    resources[key] = r;
  }
  return { ...facts, resources, labeled: labeledContainers(facts) };
}

/** kuke's containers by the address their labels name; a container with incomplete labels is not kuke's. */
function labeledContainers(facts: HostFacts): Record<string, LabeledContainer> {
  const out: Record<string, LabeledContainer> = {};
  for (const namespace of Object.keys(facts.namespaces).sort()) {
    for (const c of Object.values(facts.namespaces[namespace]!.containers)) {
      const l = c.labels;
      if (l[LABELS.managedBy] !== MANAGED_BY) continue;
      const names = [l[LABELS.realm], l[LABELS.space], l[LABELS.stack], l[LABELS.cell], l[LABELS.container]];
      if (names.some((n) => n === undefined || n === "")) continue;
      const [realm, space, stack, cell, container] = names as [string, string, string, string, string];
      const key = formatAddress(containerAddress(realm, space, stack, cell, container));
      out[key] = { namespace, container: c, role: l[LABELS.role] === "root" ? "root" : "workload" };
    }
  }
  return out;
}
