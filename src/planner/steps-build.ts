/**
 * Creation and update steps of one resource; a new cell with all its containers. Emitted without
 * dependencies: `ordering/` derives the order (parents first, DESIGN §4 inside a new cell).
 */
import {
  addressPath,
  bridgeName,
  type CellAddress,
  type ContainerAddress,
  type ContainerSpec,
  containerdId,
  containerLabels,
  type EgressPolicy,
  egressChainName,
  formatAddress,
  netnsName,
  networkName,
  parentAddress,
  parseAddress,
  RESTART_LABELS,
  restartLabels,
} from "../model/index.js";
import type { EmittedStep, UnorderedStep } from "./ordering/emitted-step.js";
import { type DesiredEntry, viewHash } from "./resource-view.js";
import type { ContainerPayload } from "./step-types.js";
import { built, cgroupOf, heldByMonitor, id, namespaceOf, parentKey, type StepInput, torn } from "./steps-input.js";
import type { DriftKind, ResourceChange } from "./types.js";

const NO_DRIFT: ReadonlySet<DriftKind> = new Set();
type Role = EmittedStep["role"];

const emitted = (step: UnorderedStep, resource: string, role?: Role): EmittedStep => ({
  step,
  phase: "build",
  resource,
  ...(role !== undefined ? { role } : {}),
});

/** The build steps of `key`'s change (none for a deletion, or for a container its new cell builds). */
export function buildSteps(input: StepInput, key: string): EmittedStep[] {
  const change = input.changes.get(key)!;
  if (change.action === "delete") return [];
  const entry = input.entries.get(key);
  if (entry === undefined) return [];
  const a = parseAddress(key);
  const drift = input.drift.get(key) ?? NO_DRIFT;
  const fresh = built(change);
  const out: UnorderedStep[] = [];
  const cgroupNeeded = fresh || drift.has("cgroup-missing");
  switch (a.kind) {
    case "realm":
      if (fresh || drift.has("namespace-missing")) {
        out.push({
          id: id("namespace.ensure", key),
          kind: "namespace.ensure",
          address: key,
          namespace: namespaceOf(input, a.realm),
        });
      }
      if (cgroupNeeded) out.push(ensureCgroup(key, {}));
      break;
    case "stack":
      if (cgroupNeeded) out.push(ensureCgroup(key, {}));
      break;
    case "space": {
      if (cgroupNeeded) out.push(ensureCgroup(key, {}));
      const names = { networkName: networkName(a.realm, a.space), bridgeName: bridgeName(a.realm, a.space) };
      if (fresh || drift.has("network-missing")) {
        const subnet = change.action === "update" ? input.actual.records[key]?.extra.subnet : undefined;
        out.push({
          id: id("network.ensure", key),
          kind: "network.ensure",
          address: key,
          realm: a.realm,
          space: a.space,
          ...names,
          ...(subnet ? { subnet } : {}),
        });
      }
      const egress = (entry.view.spec.network as { egress?: EgressPolicy } | undefined)?.egress;
      const egressChanged = change.changedPaths.some((p) => p.startsWith("spec.network"));
      const chainName = egressChainName(a.realm, a.space);
      if (egress !== undefined && (fresh || egressChanged || drift.has("egress-missing"))) {
        out.push({
          id: id("egress.apply", key),
          kind: "egress.apply",
          address: key,
          chainName,
          bridgeName: names.bridgeName,
          policy: egress,
        });
      } else if (egress === undefined && egressChanged && !torn(change)) {
        // (A replaced space's chain went with its teardown.)
        out.push({
          id: id("egress.remove", key),
          kind: "egress.remove",
          address: key,
          chainName,
          bridgeName: names.bridgeName,
        });
      }
      break;
    }
    case "cell":
      if (fresh) return buildCell(input, entry, a);
      if (cgroupNeeded) out.push(ensureCgroup(key, {}));
      // Published ports move with portmap alone: the cell keeps its address and its containers.
      if (drift.has("ports-differ") || change.changedPaths.some((p) => p.startsWith("spec.ports"))) {
        out.push({
          id: id("cni.ports", key),
          kind: "cni.ports",
          address: key,
          networkName: networkName(a.realm, a.space),
          netnsName: netnsName(a),
          ports: entry.ports ?? [],
        });
      }
      break;
    case "container":
      if (built(input.changes.get(parentKey(key)))) return []; // built with its cell
      return buildContainer(input, entry, change, drift);
  }
  return [...out, ...recordSteps(input, entry)].map((s) => emitted(s, key));
}

function ensureCgroup(key: string, resources: ContainerSpec["resources"]): UnorderedStep {
  return { id: id("cgroup.ensure", key), kind: "cgroup.ensure", address: key, cgroupPath: cgroupOf(key), resources };
}

/** record.write, and record.run-state when a task this plan (re)starts had been stopped by `kuke stop`. */
function recordSteps(input: StepInput, entry: DesiredEntry): UnorderedStep[] {
  const out: UnorderedStep[] = [
    {
      id: id("record.write", entry.key),
      kind: "record.write",
      address: entry.key,
      project: input.plan.options.project,
      view: entry.view,
      specHash: viewHash(entry.view),
    },
  ];
  // A task this plan (re)starts runs again, so what `kuke stop` recorded no longer holds.
  const change = input.changes.get(entry.key);
  if (input.actual.records[entry.key]?.extra.runState === "stopped" && (built(change) || change?.restarts)) {
    out.push({
      id: id("record.run-state", entry.key),
      kind: "record.run-state",
      address: entry.key,
      runState: "running",
    });
  }
  return out;
}

function payload(
  input: StepInput,
  entry: DesiredEntry,
  rootId: string | undefined,
  hostNetwork: boolean,
): ContainerPayload {
  const a = entry.address as ContainerAddress;
  const role = entry.role ?? "workload";
  const p: ContainerPayload = {
    namespace: namespaceOf(input, a.realm),
    containerdId: containerdId(a),
    role,
    spec: entry.container!,
    labels: {
      ...containerLabels(a, role, viewHash(entry.view)),
      ...restartLabels(entry.container!.restartPolicy, role, input.actual.restartMonitor),
    },
    cgroupPath: cgroupOf(entry.key),
  };
  if (role === "workload" && rootId !== undefined) p.rootContainerdId = rootId;
  if (!hostNetwork) p.netnsName = netnsName(parentAddress(a) as CellAddress);
  return p;
}

/**
 * image.ensure (shared by every container of the image in the realm; `planToSteps` keeps one),
 * container.create, task.start and record.write. The container's own cgroup is not ensured: runc
 * creates it from the spec's `linux.cgroupsPath` and applies `linux.resources` when the task
 * starts (and removes it with the task); only the cell's cgroup must exist by then.
 */
function createContainer(input: StepInput, entry: DesiredEntry, p: ContainerPayload, resource: string): EmittedStep[] {
  const a = entry.address as ContainerAddress;
  const realmKey = `realm/${a.realm}`;
  const digest = p.spec.imageDigest;
  const image: UnorderedStep = {
    // Containers of one tag may have resolved to different digests (pull policies differ).
    id: `image.ensure:${realmKey}:${p.spec.image}${digest !== undefined ? `@${digest}` : ""}`,
    kind: "image.ensure",
    address: realmKey,
    namespace: p.namespace,
    image: p.spec.image,
    ...(digest !== undefined ? { digest } : {}),
    credentials: input.credentials.get(a.realm) ?? [],
  };
  const steps: UnorderedStep[] = [
    { id: id("container.create", entry.key), kind: "container.create", address: entry.key, ...p },
    {
      id: id("task.start", entry.key),
      kind: "task.start",
      address: entry.key,
      namespace: p.namespace,
      containerdId: p.containerdId,
      cgroupPath: p.cgroupPath,
      ...monitored(p),
    },
    ...recordSteps(input, entry),
  ];
  return [emitted(image, realmKey), ...steps.map((s) => emitted(s, resource, p.role))];
}

/** A new cell: its cgroup, its root, the netns pin and CNI attach (unless host network), its workloads, its record. */
function buildCell(input: StepInput, cell: DesiredEntry, a: CellAddress): EmittedStep[] {
  const containers = (cell.view.spec.containers as string[]).map(
    (k) => input.entries.get(`container/${addressPath(a).join("/")}/${k}`)!,
  );
  const rootEntry = containers.find((c) => c.role === "root")!;
  const hostNetwork = cell.hostNetwork === true;
  const rootP = payload(input, rootEntry, undefined, hostNetwork);
  const out: EmittedStep[] = [
    emitted(ensureCgroup(cell.key, {}), cell.key),
    ...createContainer(input, rootEntry, rootP, cell.key),
  ];
  if (!hostNetwork) {
    const ns = netnsName(a);
    const net: UnorderedStep[] = [
      {
        id: id("netns.pin", cell.key),
        kind: "netns.pin",
        address: cell.key,
        netnsName: ns,
        namespace: rootP.namespace,
        rootContainerdId: rootP.containerdId,
      },
      {
        id: id("cni.attach", cell.key),
        kind: "cni.attach",
        address: cell.key,
        networkName: networkName(a.realm, a.space),
        netnsName: ns,
        rootContainerdId: rootP.containerdId,
        ...(cell.ports?.length ? { ports: cell.ports } : {}),
      },
    ];
    out.push(...net.map((s) => emitted(s, cell.key)));
  }
  for (const w of containers) {
    if (w !== rootEntry) {
      out.push(...createContainer(input, w, payload(input, w, rootP.containerdId, hostNetwork), cell.key));
    }
  }
  out.push(...recordSteps(input, cell).map((s) => emitted(s, cell.key)));
  return out;
}

/** A container in a cell that stays: create, replace, or update in place (live, restart, records). */
function buildContainer(
  input: StepInput,
  entry: DesiredEntry,
  change: ResourceChange,
  drift: ReadonlySet<DriftKind>,
): EmittedStep[] {
  const cell = parseAddress(parentKey(entry.key)) as CellAddress;
  const cellEntry = input.entries.get(formatAddress(cell));
  const rootKey = `container/${addressPath(cell).join("/")}/${cellEntry?.view.spec.rootContainerId ?? "root"}`;
  const rootId = containerdId(parseAddress(rootKey) as ContainerAddress);
  const hostNetwork = cellEntry?.hostNetwork ?? entry.container!.hostNetwork;
  const p = payload(input, entry, rootId, hostNetwork);
  if (built(change)) return createContainer(input, entry, p, entry.key);
  const out: UnorderedStep[] = [];
  const base = { address: entry.key, namespace: p.namespace, containerdId: p.containerdId };
  if (drift.has("cgroup-missing")) out.push(ensureCgroup(entry.key, p.spec.resources));
  // Limits are written live only to a task that keeps running: a restart's task start applies the
  // updated spec's resources itself, and a task that is down has no cgroup to write to.
  // Only limits go to the cgroup: ports are live through the cell's portmap, a policy through labels.
  const liveLimits = change.fieldEffects.some((f) => f.effect === "live" && f.path.startsWith("spec.resources"));
  if (liveLimits && !change.restarts && taskUp(input, entry.key)) {
    out.push({
      id: id("cgroup.update", entry.key),
      kind: "cgroup.update",
      address: entry.key,
      cgroupPath: p.cgroupPath,
      resources: p.spec.resources,
    });
  }
  // A live change is written to the container's spec as well (no restart): its spec-hash label
  // must match the record, and a later task start must not bring the old limits back.
  if (change.fieldEffects.some((f) => f.effect === "restart" || f.effect === "live")) {
    out.push({ id: id("container.update", entry.key), kind: "container.update", address: entry.key, ...p });
  }
  if (change.restarts) {
    out.push(
      {
        id: id("task.stop", entry.key),
        kind: "task.stop",
        ...base,
        ...(heldByMonitor(input, entry.key) ? { monitored: true as const } : {}),
      },
      { id: id("task.start", entry.key), kind: "task.start", ...base, cgroupPath: p.cgroupPath, ...monitored(p) },
    );
  }
  return [...out, ...recordSteps(input, entry)].map((s) => emitted(s, entry.key, p.role));
}

/** A task handed to containerd's restart monitor once started (its container carries a policy label). */
function monitored(p: ContainerPayload): { monitored?: true } {
  return p.labels[RESTART_LABELS.policy] !== undefined ? { monitored: true } : {};
}

/** The container's task runs (or is paused), or nothing is known of it; runc keeps its cgroup only then. */
function taskUp(input: StepInput, key: string): boolean {
  const c = input.actual.resources[key]?.container;
  if (c === undefined) return true;
  return c !== null && (c.task.status === "running" || c.task.status === "paused");
}
