/**
 * Small builders for planner tests: a desired state from a compact description, and the host
 * facts an apply of it would leave behind (records plus healthy containerd/cgroup/CNI objects).
 */
import {
  type ActualState,
  type Address,
  actualState,
  addressPath,
  type CellAddress,
  type ContainerAddress,
  type ContainerInput,
  cgroupPath,
  containerdId,
  containerLabels,
  type DesiredState,
  egressChainName,
  formatAddress,
  type HostFacts,
  netnsName,
  networkName,
  normalizeCell,
  normalizeRealmSpec,
  normalizeSpaceSpec,
  parseAddress,
  type RegistryCredential,
  type ResourceRecord,
  recordedNamespace,
  type SpaceSpec,
} from "../../src/model/index.js";
import type { PlanOptions } from "../../src/planner/plan.js";
import { indexDesired, viewHash } from "../../src/planner/resource-view.js";

export interface CellDef {
  name: string;
  containers: ContainerInput[];
  rootContainerId?: string;
  stack?: string;
  labels?: Record<string, string>;
}

export interface WorldDef {
  realm?: string;
  namespace?: string;
  credentials?: RegistryCredential[];
  space?: string;
  spaceSpec?: Partial<SpaceSpec>;
  stacks?: string[];
  cells: CellDef[];
  /** Leave these kinds out of the desired state (e.g. to test undeclared parents). */
  omit?: ("realm" | "space" | "stack")[];
}

/** One realm, one space, stacks and cells, normalized the way the manifest loader does. */
export function world(def: WorldDef): DesiredState {
  const realm = def.realm ?? "main";
  const space = def.space ?? "web";
  const spaceSpec = normalizeSpaceSpec(def.spaceSpec);
  const stacks = def.stacks ?? ["app"];
  const omit = new Set(def.omit ?? []);
  return {
    realms: omit.has("realm")
      ? []
      : [
          {
            kind: "realm",
            name: realm,
            labels: {},
            spec: normalizeRealmSpec(realm, {
              ...(def.namespace ? { namespace: def.namespace } : {}),
              registryCredentials: def.credentials ?? [],
            }),
          },
        ],
    spaces: omit.has("space") ? [] : [{ kind: "space", name: space, realm, labels: {}, spec: spaceSpec }],
    stacks: omit.has("stack")
      ? []
      : stacks.map((name) => ({ kind: "stack" as const, name, realm, space, labels: {}, spec: {} })),
    cells: def.cells.map((c) => ({
      kind: "cell" as const,
      name: c.name,
      realm,
      space,
      stack: c.stack ?? stacks[0] ?? "app",
      labels: c.labels ?? {},
      spec: normalizeCell(
        { containers: c.containers, ...(c.rootContainerId ? { rootContainerId: c.rootContainerId } : {}) },
        spaceSpec.defaults.container,
      ),
    })),
    looseContainers: [],
  };
}

export function emptyFacts(): HostFacts {
  return { records: {}, namespaces: {}, cgroups: [], networks: {}, netnsPinned: [], attachments: {}, egressChains: [] };
}

/**
 * The host after a successful apply of `desired` by `project`: a record per resource, and every
 * object healthy (namespaces, running tasks, cgroups, networks, netns pins, attachments, chains).
 */
export function appliedFacts(desired: DesiredState, project = "demo", into: HostFacts = emptyFacts()): HostFacts {
  const facts: HostFacts = structuredClone(into);
  const entries = indexDesired(desired, actualState(facts));
  let ip = 10;
  for (const e of entries.values()) {
    const record: ResourceRecord = {
      address: e.key,
      kind: e.kind,
      project,
      view: e.view,
      specHash: viewHash(e.view),
      extra: {},
    };
    facts.records[e.key] = record;
    facts.cgroups.push(cgroupPath(...addressPath(e.address)));
    const a = e.address;
    if (a.kind === "realm") {
      const ns = e.view.spec.namespace as string;
      record.extra.namespace = ns;
      facts.namespaces[ns] ??= { containers: {} };
    } else if (a.kind === "space") {
      record.extra.subnet = "10.88.1.0/24";
      facts.networks[networkName(a.realm, a.space)] = { conflistPresent: true, subnet: "10.88.1.0/24" };
      if ((e.view.spec.network as { egress?: unknown }).egress !== undefined) {
        facts.egressChains.push(egressChainName(a.realm, a.space));
      }
    } else if (a.kind === "cell" && e.hostNetwork !== true) {
      record.extra.ip = `10.88.1.${ip++}`;
      facts.netnsPinned.push(netnsName(a));
      facts.attachments[netnsName(a)] = { ip: record.extra.ip, gateway: "10.88.1.1" };
    } else if (a.kind === "container") {
      const ns = recordedNamespace(facts, a.realm);
      const id = containerdId(a);
      record.extra.namespace = ns;
      record.extra.containerdId = id;
      facts.namespaces[ns] ??= { containers: {} };
      facts.namespaces[ns].containers[id] = {
        id,
        labels: containerLabels(a, e.role ?? "workload", record.specHash),
        image: e.container?.image ?? "",
        task: { status: "running", pid: 1000 + ip++ },
      };
    }
  }
  return facts;
}

export function host(facts: HostFacts): ActualState {
  return actualState(facts);
}

export function options(over: Partial<PlanOptions> = {}): PlanOptions {
  return {
    project: "demo",
    prune: false,
    targets: [],
    replace: [],
    destroy: false,
    refresh: true,
    now: "2026-01-01T00:00:00.000Z",
    ...over,
  };
}

export const addr = (text: string): Address => parseAddress(text);
export const key = (a: Address): string => formatAddress(a);

/** The containerd container refresh would report for a container address in `facts`. */
export function containerOf(facts: HostFacts, address: string) {
  const a = parseAddress(address) as ContainerAddress;
  return facts.namespaces[recordedNamespace(facts, a.realm)]!.containers[containerdId(a)]!;
}

export function cellNetns(address: string): string {
  return netnsName(parseAddress(address) as CellAddress);
}
