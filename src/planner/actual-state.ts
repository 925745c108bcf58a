/**
 * Builds the per-address view of the host (`ActualState.resources`) from raw host facts. Refresh
 * fills `HostFacts` from bulk listings and calls `actualState()`; tests build facts by hand.
 */
import {
  type Address,
  addressPath,
  cgroupPath,
  containerdId,
  defaultNamespace,
  egressChainName,
  formatAddress,
  netnsName,
  networkName,
  parseAddress,
  realmAddress,
} from "../model/index.js";
import type { ActualResource, ActualState, HostFacts } from "./types.js";

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
  return { ...facts, resources };
}
