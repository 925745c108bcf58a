/**
 * Teardown order: everything inside a realm, space or stack goes before it; inside a cell, the
 * reverse of DESIGN §4 (workload tasks, then the root task alongside the network detach, then the
 * containers, their cgroups and records). Each rule: its reason in one line, then its edges.
 */
import { edges, type OrderingRule } from "./emitted-step.js";

const isAboveCells = (key: string) => /^(realm|space|stack)\//.test(key);

/** A namespace, network or cgroup can only go once nothing inside it is left. */
export const childrenTornDownFirst: OrderingRule = (ix) =>
  ix.resources("teardown").flatMap((child) => {
    const parent = ix.parent(child);
    if (parent === undefined || !isAboveCells(parent)) return [];
    return edges(ix.of(child, "teardown"), ix.of(parent, "teardown"));
  });

/** Workloads live in the root's IPC/UTS (and network) namespaces, so the root's task stops last (teardown, `kuke stop|kill`). */
export const workloadTasksStopBeforeRoot: OrderingRule = (ix) =>
  (["teardown", "task"] as const).flatMap((phase) =>
    ix
      .each(phase, "task.stop", "task.kill")
      .filter((s) => s.role === "root")
      .flatMap((root) =>
        edges(
          ix
            .inCell(ix.parent(root.step.address)!, phase, "task.stop", "task.kill")
            .filter((s) => s.role === "workload"),
          [root],
        ),
      ),
  );

/** A workload still running uses the cell's network, so CNI DEL waits for every workload to stop. */
export const detachAfterWorkloadsStop: OrderingRule = (ix) =>
  ix.each("teardown", "cni.detach").flatMap((detach) =>
    edges(
      ix.inCell(detach.step.address, "teardown", "task.stop").filter((s) => s.role === "workload"),
      [detach],
    ),
  );

/** CNI DEL enters the cell's network namespace through the pin, which keeps it after the root task died. */
export const unpinAfterDetach: OrderingRule = (ix) =>
  ix
    .each("teardown", "netns.unpin")
    .flatMap((unpin) => edges(ix.at(unpin.step.address, "teardown", "cni.detach"), [unpin]));

/** containerd refuses to delete a container whose task is still there. */
export const containerDeletedAfterItsTask: OrderingRule = (ix) =>
  ix
    .each("teardown", "container.delete")
    .flatMap((del) => edges(ix.at(del.step.address, "teardown", "task.stop"), [del]));

/** A cell's containers are deleted only once its root is down, so a root that will not stop leaves the cell whole. */
export const cellContainersDeletedAfterRootStops: OrderingRule = (ix) =>
  ix.each("teardown", "container.delete").flatMap((del) =>
    edges(
      ix.inCell(ix.parent(del.step.address)!, "teardown", "task.stop").filter((s) => s.role === "root"),
      [del],
    ),
  );

/** A container's cgroup can be left behind by runc only once the container is gone, so it is removed after. */
export const containerCgroupAfterContainer: OrderingRule = (ix) =>
  ix
    .each("teardown", "cgroup.remove")
    .filter((cg) => cg.step.address.startsWith("container/"))
    .flatMap((cg) => edges(ix.at(cg.step.address, "teardown", "container.delete"), [cg]));

/** A cgroup that still holds child cgroups cannot be removed (EBUSY). */
export const cellCgroupAfterContainerCgroups: OrderingRule = (ix) =>
  ix
    .each("teardown", "cgroup.remove")
    .filter((cg) => cg.step.address.startsWith("cell/"))
    .flatMap((cg) => edges(ix.inCell(cg.step.address, "teardown", "cgroup.remove"), [cg]));

/** The egress chain matches on the space's bridge, so it goes before the bridge does. */
export const egressRemovedBeforeNetwork: OrderingRule = (ix) =>
  ix
    .each("teardown", "network.remove")
    .flatMap((net) => edges(ix.at(net.step.address, "teardown", "egress.remove"), [net]));

/**
 * A teardown that stops half way keeps its record, so the next plan sees what is left and finishes
 * it. A cell's record waits for its cgroup only: its network detach runs alongside and the cell's
 * parent waits for it (a pin or attachment left behind is found again as a leftover).
 */
export const recordDeletedLast: OrderingRule = (ix) =>
  ix.each("teardown", "record.delete").flatMap((rec) => {
    const a = rec.step.address;
    const others = a.startsWith("cell/")
      ? ix.at(a, "teardown", "cgroup.remove")
      : ix.at(a, "teardown").filter((s) => s !== rec);
    return edges(others, [rec]);
  });

/**
 * A container made again under an orphan snapshot's key would have it removed from under it: the
 * orphan goes first (create would replace it anyway). A namespace is deleted once its orphans are gone.
 */
export const orphansRemovedFirst: OrderingRule = (ix) => {
  const orphans = ix.each("teardown", "orphan.remove");
  if (orphans.length === 0) return [];
  return orphans.flatMap((o) => {
    if (o.step.kind !== "orphan.remove") return [];
    const { namespace, object, orphanId } = o.step;
    const creates = ix
      .each("build", "container.create")
      .filter(
        (c) =>
          object === "snapshot" &&
          c.step.kind === "container.create" &&
          c.step.namespace === namespace &&
          c.step.containerdId === orphanId,
      );
    const deletes = ix
      .each("teardown", "namespace.delete")
      .filter((d) => d.step.kind === "namespace.delete" && d.step.namespace === namespace);
    return edges([o], [...creates, ...deletes]);
  });
};
