/** Teardown steps, children before parents; inside a cell the reverse of its creation order. */
import {
  addressPath,
  bridgeName,
  type CellAddress,
  type ContainerAddress,
  containerdId,
  egressChainName,
  formatAddress,
  netnsName,
  networkName,
  parseAddress,
  recordedNamespace,
} from "../model/index.js";
import { cellContainerKeys, cellNetworkPresent } from "./plan-leftovers.js";
import {
  add,
  type Ctx,
  cgroupOf,
  childrenGone,
  type Ids,
  id,
  parentKey,
  type Recorded,
  recordedContainer,
  setGone,
  torn,
} from "./steps-context.js";

// Teardown (children first)

export function teardown(ctx: Ctx, key: string): void {
  const change = ctx.changes.get(key)!;
  if (!torn(change)) return;
  const a = parseAddress(key);
  const deleting = change.action === "delete";
  const after = childrenGone(ctx, key);
  const ids: Ids = [];
  switch (a.kind) {
    case "container":
      if (torn(ctx.changes.get(parentKey(key)))) return; // its cell tears it down
      ids.push(...teardownContainer(ctx, recordedContainer(ctx, key), [], [], deleting));
      break;
    case "cell":
      ids.push(...teardownCell(ctx, a, deleting));
      break;
    case "stack":
      ids.push(removeCgroup(ctx, key, after));
      break;
    case "space": {
      const names = { networkName: networkName(a.realm, a.space), bridgeName: bridgeName(a.realm, a.space) };
      const spec = ctx.actual.records[key]?.view.spec as { network?: { egress?: unknown } } | undefined;
      const first: Ids = [];
      if (spec?.network?.egress !== undefined || ctx.actual.resources[key]?.network?.egressChainPresent) {
        const chainName = egressChainName(a.realm, a.space);
        first.push(
          add(ctx, {
            id: id("egress.remove", key),
            kind: "egress.remove",
            address: key,
            dependsOn: after,
            chainName,
            bridgeName: names.bridgeName,
          }),
        );
      }
      ids.push(...first);
      ids.push(
        add(ctx, {
          id: id("network.remove", key),
          kind: "network.remove",
          address: key,
          dependsOn: [...after, ...first],
          ...names,
        }),
      );
      ids.push(removeCgroup(ctx, key, after));
      break;
    }
    case "realm": {
      const cg = removeCgroup(ctx, key, after);
      const namespace = recordedNamespace(ctx.actual, a.realm);
      const ns = add(ctx, {
        id: id("namespace.delete", key),
        kind: "namespace.delete",
        address: key,
        dependsOn: after,
        namespace,
      });
      ids.push(cg, ns);
      break;
    }
  }
  if (deleting && a.kind !== "container" && a.kind !== "cell") {
    ids.push(add(ctx, { id: id("record.delete", key), kind: "record.delete", address: key, dependsOn: [...ids] }));
  }
  setGone(ctx, key, ids);
}

/** task.stop → container.delete → (delete only) cgroup.remove → record.delete. */
/** A stack's, space's or realm's own cgroup goes once everything inside it is gone. */
function removeCgroup(ctx: Ctx, key: string, after: Ids): string {
  return add(ctx, {
    id: id("cgroup.remove", key),
    kind: "cgroup.remove",
    address: key,
    dependsOn: after,
    cgroupPath: cgroupOf(key),
  });
}

function teardownContainer(ctx: Ctx, c: Recorded, stopAfter: Ids, deleteAfter: Ids, deleting: boolean): Ids {
  const base = { address: c.key, namespace: c.namespace, containerdId: c.containerdId };
  const stop = add(ctx, { id: id("task.stop", c.key), kind: "task.stop", dependsOn: stopAfter, ...base });
  const del = add(ctx, {
    id: id("container.delete", c.key),
    kind: "container.delete",
    dependsOn: [stop, ...deleteAfter],
    ...base,
  });
  const ids = [stop, del];
  if (deleting) {
    const cg = add(ctx, {
      id: id("cgroup.remove", c.key),
      kind: "cgroup.remove",
      address: c.key,
      dependsOn: [del],
      cgroupPath: cgroupOf(c.key),
    });
    ids.push(cg, add(ctx, { id: id("record.delete", c.key), kind: "record.delete", address: c.key, dependsOn: [cg] }));
  }
  return ids;
}

/**
 * Stop workloads → (CNI detach → netns unpin) and stop root → delete containers → cgroups →
 * records. The root stops once its workloads are gone (they joined its IPC/UTS namespaces), in
 * parallel with the detach: the pin keeps the network namespace for CNI DEL after the root died.
 */
function teardownCell(ctx: Ctx, a: CellAddress, deleting: boolean): Ids {
  const key = formatAddress(a);
  // Recorded containers and the ones an interrupted apply made without recording them.
  const recorded = cellContainerKeys(ctx.actual, key).map((k) => recordedContainer(ctx, k));
  const root = recorded.find((c) => c.root);
  const workloads = recorded.filter((c) => c !== root);
  const base = (k: string, c: Recorded) => ({ address: k, namespace: c.namespace, containerdId: c.containerdId });
  const stops = workloads.map((w) =>
    add(ctx, { id: id("task.stop", w.key), kind: "task.stop", dependsOn: [], ...base(w.key, w) }),
  );
  let netGone = stops;
  const hostNetwork = root?.hostNetwork ?? false;
  if ((!hostNetwork && root !== undefined) || cellNetworkPresent(ctx.actual, a)) {
    const net = {
      networkName: networkName(a.realm, a.space),
      netnsName: netnsName(a),
      rootContainerdId: root?.containerdId ?? rootIdOf(ctx, a),
    };
    const detach = add(ctx, { id: id("cni.detach", key), kind: "cni.detach", address: key, dependsOn: stops, ...net });
    const unpin = add(ctx, {
      id: id("netns.unpin", key),
      kind: "netns.unpin",
      address: key,
      dependsOn: [detach],
      netnsName: net.netnsName,
    });
    netGone = [unpin];
  }
  const ids: Ids = [...netGone, ...stops];
  const deletes: Ids = [];
  const rootStop = root
    ? add(ctx, { id: id("task.stop", root.key), kind: "task.stop", dependsOn: stops, ...base(root.key, root) })
    : undefined;
  for (const c of recorded) {
    const stop = id("task.stop", c.key);
    deletes.push(
      add(ctx, {
        id: id("container.delete", c.key),
        kind: "container.delete",
        dependsOn: [stop, ...(rootStop ? [rootStop] : [])],
        ...base(c.key, c),
      }),
    );
  }
  ids.push(...(rootStop ? [rootStop] : []), ...deletes);
  // Containers that leave the cell lose their cgroup and record even when the cell is only replaced.
  const leaving = recorded.filter((c) => deleting || ctx.changes.get(c.key)?.action === "delete");
  if (leaving.length > 0) {
    const cgs = leaving.map((c) =>
      add(ctx, {
        id: id("cgroup.remove", c.key),
        kind: "cgroup.remove",
        address: c.key,
        dependsOn: [id("container.delete", c.key)],
        cgroupPath: cgroupOf(c.key),
      }),
    );
    ids.push(
      ...cgs,
      ...leaving.map((c) =>
        add(ctx, {
          id: id("record.delete", c.key),
          kind: "record.delete",
          address: c.key,
          dependsOn: [id("cgroup.remove", c.key)],
        }),
      ),
    );
  }
  if (deleting) {
    const cellCg = add(ctx, {
      id: id("cgroup.remove", key),
      kind: "cgroup.remove",
      address: key,
      dependsOn: recorded.map((c) => id("cgroup.remove", c.key)),
      cgroupPath: cgroupOf(key),
    });
    ids.push(
      cellCg,
      add(ctx, { id: id("record.delete", key), kind: "record.delete", address: key, dependsOn: [cellCg] }),
    );
  }
  return ids;
}

/** containerd id the cell's root has (or would have) when no container of it is on the host. */
function rootIdOf(ctx: Ctx, a: CellAddress): string {
  const rootName = ctx.entries.get(formatAddress(a))?.view.spec.rootContainerId;
  const name = typeof rootName === "string" ? rootName : "root";
  return containerdId(parseAddress(`container/${addressPath(a).join("/")}/${name}`) as ContainerAddress);
}
