/** Creation and update steps, parents before children; a new cell in the order of DESIGN §4. */
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
} from "../model/index.js";
import { type DesiredEntry, viewHash } from "./resource-view.js";
import type { ContainerPayload } from "./step-types.js";
import { add, built, type Ctx, cgroupOf, type Ids, id, namespaceOf, parentKey } from "./steps-context.js";
import type { DriftKind, ResourceChange } from "./types.js";

// Creation and update (parents first)

export function build(ctx: Ctx, key: string): void {
  const change = ctx.changes.get(key)!;
  if (change.action === "delete") return;
  const a = parseAddress(key);
  const own = ctx.gone.get(key) ?? [];
  const parentReady = a.kind === "realm" ? [] : (ctx.ready.get(parentKey(key)) ?? []);
  const after = [...own, ...parentReady];
  const drift = ctx.drift.get(key) ?? new Set<DriftKind>();
  const entry = ctx.entries.get(key);
  if (entry === undefined) return;
  const fresh = built(change);
  const ready: Ids = [];
  const cgroupNeeded = fresh || drift.has("cgroup-missing");
  switch (a.kind) {
    case "realm":
      if (fresh || drift.has("namespace-missing")) {
        ready.push(
          add(ctx, {
            id: id("namespace.ensure", key),
            kind: "namespace.ensure",
            address: key,
            dependsOn: after,
            namespace: namespaceOf(ctx, a.realm),
          }),
        );
      }
      if (cgroupNeeded) ready.push(ensureCgroup(ctx, key, after, {}));
      break;
    case "stack":
      if (cgroupNeeded) ready.push(ensureCgroup(ctx, key, after, {}));
      break;
    case "space": {
      if (cgroupNeeded) ready.push(ensureCgroup(ctx, key, after, {}));
      const names = { networkName: networkName(a.realm, a.space), bridgeName: bridgeName(a.realm, a.space) };
      let net: string | undefined;
      if (fresh || drift.has("network-missing")) {
        const subnet = change.action === "update" ? ctx.actual.records[key]?.extra.subnet : undefined;
        net = add(ctx, {
          id: id("network.ensure", key),
          kind: "network.ensure",
          address: key,
          dependsOn: after,
          realm: a.realm,
          space: a.space,
          ...names,
          ...(subnet ? { subnet } : {}),
        });
        ready.push(net);
      }
      const egress = (entry.view.spec.network as { egress?: EgressPolicy } | undefined)?.egress;
      const egressChanged = change.changedPaths.some((p) => p.startsWith("spec.network"));
      const chainName = egressChainName(a.realm, a.space);
      const deps = [...after, ...(net ? [net] : [])];
      if (egress !== undefined && (fresh || egressChanged || drift.has("egress-missing"))) {
        ready.push(
          add(ctx, {
            id: id("egress.apply", key),
            kind: "egress.apply",
            address: key,
            dependsOn: deps,
            chainName,
            bridgeName: names.bridgeName,
            policy: egress,
          }),
        );
      } else if (egress === undefined && egressChanged) {
        add(ctx, {
          id: id("egress.remove", key),
          kind: "egress.remove",
          address: key,
          dependsOn: deps,
          chainName,
          bridgeName: names.bridgeName,
        });
      }
      break;
    }
    case "cell":
      if (fresh) {
        ready.push(...buildCell(ctx, entry, a, after));
        ctx.ready.set(key, ready);
        return;
      }
      if (cgroupNeeded) ready.push(ensureCgroup(ctx, key, after, {}));
      break;
    case "container":
      if (built(ctx.changes.get(parentKey(key)))) return; // built with its cell
      buildContainer(ctx, entry, change, drift, after);
      return;
  }
  ctx.ready.set(key, ready);
  writeRecord(ctx, entry, [...ready, ...stepsOf(ctx, key)]);
}

function stepsOf(ctx: Ctx, key: string): Ids {
  return (ctx.byAddress.get(key) ?? []).filter((s) => !s.startsWith("record."));
}

function ensureCgroup(ctx: Ctx, key: string, after: Ids, resources: ContainerSpec["resources"]): string {
  return add(ctx, {
    id: id("cgroup.ensure", key),
    kind: "cgroup.ensure",
    address: key,
    dependsOn: after,
    cgroupPath: cgroupOf(key),
    resources,
  });
}

function writeRecord(ctx: Ctx, entry: DesiredEntry, after: Ids): string {
  const written = add(ctx, {
    id: id("record.write", entry.key),
    kind: "record.write",
    address: entry.key,
    dependsOn: after,
    project: ctx.plan.options.project,
    view: entry.view,
    specHash: viewHash(entry.view),
  });
  // A task this plan (re)starts runs again, so what `kuke stop` recorded no longer holds.
  const change = ctx.changes.get(entry.key);
  if (ctx.actual.records[entry.key]?.extra.runState === "stopped" && (built(change) || change?.restarts)) {
    add(ctx, {
      id: id("record.run-state", entry.key),
      kind: "record.run-state",
      address: entry.key,
      dependsOn: [written],
      runState: "running",
    });
  }
  return written;
}

function payload(ctx: Ctx, entry: DesiredEntry, rootId: string | undefined, hostNetwork: boolean): ContainerPayload {
  const a = entry.address as ContainerAddress;
  const role = entry.role ?? "workload";
  const p: ContainerPayload = {
    namespace: namespaceOf(ctx, a.realm),
    containerdId: containerdId(a),
    role,
    spec: entry.container!,
    labels: containerLabels(a, role, viewHash(entry.view)),
    cgroupPath: cgroupOf(entry.key),
  };
  if (role === "workload" && rootId !== undefined) p.rootContainerdId = rootId;
  if (!hostNetwork) p.netnsName = netnsName(parentAddress(a) as CellAddress);
  return p;
}

function ensureImage(ctx: Ctx, realm: string, image: string): string {
  const realmKey = `realm/${realm}`;
  return add(ctx, {
    id: `image.ensure:${realmKey}:${image}`,
    kind: "image.ensure",
    address: realmKey,
    dependsOn: ctx.ready.get(realmKey) ?? [],
    namespace: namespaceOf(ctx, realm),
    image,
    credentials: ctx.credentials.get(realm) ?? [],
  });
}

/**
 * image → container.create → task.start, and record.write once the container exists. The
 * container's own cgroup is not ensured: runc creates it from the spec's `linux.cgroupsPath` and
 * applies `linux.resources` when the task starts (and removes it with the task); only the cell's
 * cgroup must exist by then. `startAfter`: what the task needs beyond its container (a workload's
 * network).
 */
function createContainer(
  ctx: Ctx,
  entry: DesiredEntry,
  p: ContainerPayload,
  after: Ids,
  cellCgroup: Ids,
  startAfter: Ids = [],
): string {
  const a = entry.address as ContainerAddress;
  const image = ensureImage(ctx, a.realm, p.spec.image);
  const create = add(ctx, {
    id: id("container.create", entry.key),
    kind: "container.create",
    address: entry.key,
    dependsOn: [...after, ...cellCgroup, image],
    ...p,
  });
  const start = add(ctx, {
    id: id("task.start", entry.key),
    kind: "task.start",
    address: entry.key,
    dependsOn: [create, ...startAfter],
    namespace: p.namespace,
    containerdId: p.containerdId,
    cgroupPath: p.cgroupPath,
  });
  // Recorded as soon as it exists: if its task then fails to start, the next plan sees a recorded
  // container whose task is down (a restart) instead of an unrecorded one (a replacement).
  writeRecord(ctx, entry, [create]);
  return start;
}

/**
 * A new cell: cell cgroup → image → root → root task → netns pin → CNI attach, and the workloads. A
 * workload's container only needs the root task (it joins the root's IPC/UTS namespaces by pid),
 * so workloads are created in parallel with each other and with the pin and attach; their tasks
 * start once the cell's network is attached, so a process never starts without its network.
 */
function buildCell(ctx: Ctx, cell: DesiredEntry, a: CellAddress, after: Ids): Ids {
  const containers = (cell.view.spec.containers as string[]).map(
    (k) => ctx.entries.get(`container/${addressPath(a).join("/")}/${k}`)!,
  );
  const rootEntry = containers.find((c) => c.role === "root")!;
  const hostNetwork = cell.hostNetwork === true;
  const cellCg = ensureCgroup(ctx, cell.key, after, {});
  const rootP = payload(ctx, rootEntry, undefined, hostNetwork);
  const rootStart = createContainer(ctx, rootEntry, rootP, [], [cellCg]);
  let netReady = rootStart;
  if (!hostNetwork) {
    const ns = netnsName(a);
    const pin = add(ctx, {
      id: id("netns.pin", cell.key),
      kind: "netns.pin",
      address: cell.key,
      dependsOn: [rootStart],
      netnsName: ns,
      namespace: rootP.namespace,
      rootContainerdId: rootP.containerdId,
    });
    const spaceReady = ctx.ready.get(formatAddress(parentAddress(parentAddress(a)!)!)) ?? [];
    netReady = add(ctx, {
      id: id("cni.attach", cell.key),
      kind: "cni.attach",
      address: cell.key,
      dependsOn: [pin, ...spaceReady],
      networkName: networkName(a.realm, a.space),
      netnsName: ns,
      rootContainerdId: rootP.containerdId,
    });
  }
  for (const w of containers) {
    if (w === rootEntry) continue;
    createContainer(ctx, w, payload(ctx, w, rootP.containerdId, hostNetwork), [rootStart], [cellCg], [netReady]);
  }
  // The cell exists once its root runs and its network is attached; each container records itself,
  // so a workload that fails later leaves a recorded cell that the next plan only has to complete.
  writeRecord(ctx, cell, [netReady]);
  return [netReady];
}

/** A container in a cell that stays: create, replace, or update in place (live, restart, records). */
function buildContainer(
  ctx: Ctx,
  entry: DesiredEntry,
  change: ResourceChange,
  drift: Set<DriftKind>,
  after: Ids,
): void {
  const cell = parseAddress(parentKey(entry.key)) as CellAddress;
  const rootKey = `container/${addressPath(cell).join("/")}/${ctx.entries.get(formatAddress(cell))?.view.spec.rootContainerId ?? "root"}`;
  const rootId = containerdId(parseAddress(rootKey) as ContainerAddress);
  const hostNetwork = ctx.entries.get(formatAddress(cell))?.hostNetwork ?? entry.container!.hostNetwork;
  const p = payload(ctx, entry, rootId, hostNetwork);
  if (built(change)) {
    createContainer(ctx, entry, p, after, []);
    return;
  }
  const ids: Ids = [];
  const base = { address: entry.key, namespace: p.namespace, containerdId: p.containerdId };
  let cg: string | undefined;
  if (drift.has("cgroup-missing")) cg = ensureCgroup(ctx, entry.key, after, p.spec.resources);
  // Limits are written live only to a task that keeps running: a restart's task start applies the
  // updated spec's resources itself, and a task that is down has no cgroup to write to.
  const live = change.fieldEffects.some((f) => f.effect === "live") && !change.restarts && taskUp(ctx, entry.key);
  if (live)
    ids.push(
      add(ctx, {
        id: id("cgroup.update", entry.key),
        kind: "cgroup.update",
        dependsOn: [...after, ...(cg ? [cg] : [])],
        cgroupPath: p.cgroupPath,
        resources: p.spec.resources,
        address: entry.key,
      }),
    );
  if (cg) ids.push(cg);
  // A live change is written to the container's spec as well (no restart): its spec-hash label
  // must match the record, and a later task start must not bring the old limits back.
  const specChanged = change.fieldEffects.some((f) => f.effect === "restart" || f.effect === "live");
  const upd = specChanged
    ? [
        add(ctx, {
          id: id("container.update", entry.key),
          kind: "container.update",
          address: entry.key,
          dependsOn: after,
          ...p,
        }),
      ]
    : [];
  ids.push(...upd);
  if (change.restarts) {
    const stop = add(ctx, {
      id: id("task.stop", entry.key),
      kind: "task.stop",
      dependsOn: [...after, ...upd],
      ...base,
    });
    const start = add(ctx, {
      id: id("task.start", entry.key),
      kind: "task.start",
      dependsOn: [stop, ...(cg ? [cg] : [])],
      ...base,
      cgroupPath: p.cgroupPath,
    });
    ids.push(stop, start);
  }
  writeRecord(ctx, entry, [...after, ...ids]);
}

/** The container's task runs (or is paused), or nothing is known of it; runc keeps its cgroup only then. */
function taskUp(ctx: Ctx, key: string): boolean {
  const c = ctx.actual.resources[key]?.container;
  if (c === undefined) return true;
  return c !== null && (c.task.status === "running" || c.task.status === "paused");
}
