/**
 * Build order: a replaced resource is gone before it is made again, parents are ready before their
 * children, and a new cell follows DESIGN §4 (cgroup → image → root container → root task → netns
 * pin → CNI attach, workload containers once the root runs, workload tasks once the network is
 * attached). Updates and the task operations of `kuke start|stop|kill` have rules of their own.
 */
import { ancestorKeys } from "../address-keys.js";
import type { StepKind } from "../step-types.js";
import { edges, type OrderingRule, type StepIndex } from "./emitted-step.js";

/** The steps that make a resource ready to hold children: its namespace, cgroup, network and egress policy. */
const READY: StepKind[] = ["namespace.ensure", "cgroup.ensure", "network.ensure", "egress.apply"];

const rootTaskStart = (ix: StepIndex, cell: string) =>
  ix.inCell(cell, "build", "task.start").filter((s) => s.role === "root");

/**
 * A replaced resource's successor reuses its names (containerd ids, cgroup paths, netns pin), so the
 * old one goes first. The new one starts at its own address (a new cell at its cgroup), so the steps
 * there wait for the whole teardown and the rest of the build follows them.
 */
export const replacedTornDownFirst: OrderingRule = (ix) =>
  ix.resources("build").flatMap((r) => edges(ix.of(r, "teardown"), ix.at(r, "build")));

/** What a child's steps are made inside of: its parent's containerd namespace and cgroup. */
const HOLDS_CHILDREN: StepKind[] = ["namespace.ensure", "cgroup.ensure"];

/**
 * A child is made inside its parent's containerd namespace and cgroup. Only a cell's CNI attach
 * uses the space's network (`attachAfterSpace`), so a new space's cells make their cgroups,
 * containers and root tasks while its bridge and chains are set up; a child's record still waits
 * for the parent as a whole, network included.
 */
export const parentsBeforeChildren: OrderingRule = (ix) =>
  ix.all
    .filter((s) => s.phase === "build")
    .flatMap((s) => {
      const parent = ix.parent(s.step.address);
      if (parent === undefined) return [];
      return edges(ix.at(parent, "build", ...(s.step.kind === "record.write" ? READY : HOLDS_CHILDREN)), [s]);
    });

/** Images are unpacked into the realm's containerd namespace, which must exist first. */
export const imagesAfterRealm: OrderingRule = (ix) =>
  ix.each("build", "image.ensure").flatMap((img) => edges(ix.at(img.step.address, "build", ...READY), [img]));

/** The egress chain matches on the space's bridge, which network.ensure makes. */
export const egressAfterNetwork: OrderingRule = (ix) =>
  ix
    .each("build", "egress.apply", "egress.remove")
    .flatMap((eg) => edges(ix.at(eg.step.address, "build", "network.ensure"), [eg]));

/** A container's snapshot is unpacked from its image. */
export const containerAfterImage: OrderingRule = (ix) =>
  ix.each("build", "container.create").flatMap((create) => {
    if (create.step.kind !== "container.create") return [];
    const { image, imageDigest } = create.step.spec;
    const realm = ancestorKeys(create.step.address)[0]!;
    return edges(
      ix
        .at(realm, "build", "image.ensure")
        .filter((s) => s.step.kind === "image.ensure" && s.step.image === image && s.step.digest === imageDigest),
      [create],
    );
  });

/** A task runs in its container. */
export const taskAfterContainer: OrderingRule = (ix) =>
  ix
    .each("build", "task.start")
    .flatMap((start) => edges(ix.at(start.step.address, "build", "container.create"), [start]));

/** A workload joins the root's IPC/UTS namespaces through the root task's pid, so the root runs first. */
export const workloadsJoinRunningRoot: OrderingRule = (ix) =>
  ix
    .each("build", "container.create")
    .filter((s) => s.role === "workload")
    .flatMap((create) => edges(rootTaskStart(ix, ix.parent(create.step.address)!), [create]));

/** The pin bind-mounts the root task's network namespace, which exists only once that task runs. */
export const pinAfterRootTask: OrderingRule = (ix) =>
  ix.each("build", "netns.pin").flatMap((pin) => edges(rootTaskStart(ix, pin.step.address), [pin]));

/** CNI ADD configures the cell's network namespace through its pin. */
export const attachAfterPin: OrderingRule = (ix) =>
  ix.each("build", "cni.attach").flatMap((attach) => edges(ix.at(attach.step.address, "build", "netns.pin"), [attach]));

/** A cell joins its space's bridge, and no cell traffic flows before the space's egress policy is in place. */
export const attachAfterSpace: OrderingRule = (ix) =>
  ix
    .each("build", "cni.attach")
    .flatMap((attach) => edges(ix.at(ancestorKeys(attach.step.address)[1]!, "build", ...READY), [attach]));

/** No process starts without its network: workload tasks wait for the cell's CNI attach. */
export const workloadTasksAfterAttach: OrderingRule = (ix) =>
  ix
    .each("build", "task.start")
    .filter((s) => s.role === "workload")
    .flatMap((start) => edges(ix.at(ix.parent(start.step.address)!, "build", "cni.attach"), [start]));

/** If the spec update fails, the task keeps running its old spec instead of staying down. */
export const restartAfterSpecUpdate: OrderingRule = (ix) =>
  ix.each("build", "task.stop").flatMap((stop) => edges(ix.at(stop.step.address, "build", "container.update"), [stop]));

/** A restart is a stop, then a start of the same task. */
export const restartStartsAfterStop: OrderingRule = (ix) =>
  ix.each("build", "task.start").flatMap((start) => edges(ix.at(start.step.address, "build", "task.stop"), [start]));

/** A missing cgroup is made again before limits are written to it or a task starts in it (apply, `kuke start`). */
export const cgroupEnsuredBeforeUse: OrderingRule = (ix) =>
  (["build", "task"] as const).flatMap((phase) =>
    ix
      .each(phase, "task.start", "cgroup.update")
      .flatMap((s) => edges(ix.at(s.step.address, phase, "cgroup.ensure"), [s])),
  );

/**
 * A record is written as soon as what it describes exists, so a later failure leaves it for the
 * next plan to complete: a new container once created (before its task starts), a new cell once
 * its root runs and its network is attached, anything else after its other steps.
 */
export const recordWrittenOnceItExists: OrderingRule = (ix) =>
  ix.each("build", "record.write").flatMap((rec) => {
    const a = rec.step.address;
    const created = ix.at(a, "build", "container.create");
    if (created.length > 0) return edges(created, [rec]);
    const own = ix.at(a, "build").filter((s) => !/^(record\.|image\.)/.test(s.step.kind));
    const root = a.startsWith("cell/") ? rootTaskStart(ix, a) : [];
    return edges([...own, ...root], [rec]);
  });

/** The run state edits the record that record.write makes. */
export const runStateAfterRecord: OrderingRule = (ix) =>
  ix.each("build", "record.run-state").flatMap((rs) => edges(ix.at(rs.step.address, "build", "record.write"), [rs]));

/** `kuke start|stop|kill` records a run state only once the tasks got there. */
export const runStateAfterTaskOps: OrderingRule = (ix) =>
  edges(ix.each("task", "task.start", "task.stop", "task.kill", "cgroup.ensure"), ix.each("task", "record.run-state"));
