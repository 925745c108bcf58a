/**
 * Teardown steps of one resource; a cell with all its containers. Emitted without dependencies:
 * `ordering/` derives the order (children first, the reverse of DESIGN §4 inside a cell).
 */
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
import type { EmittedStep, UnorderedStep } from "./ordering/emitted-step.js";
import { cellContainerKeys, cellNetworkPresent } from "./plan-leftovers.js";
import { cgroupOf, id, parentKey, type Recorded, recordedContainer, type StepInput, torn } from "./steps-input.js";

const emitted = (step: UnorderedStep, resource: string, role?: EmittedStep["role"]): EmittedStep => ({
  step,
  phase: "teardown",
  resource,
  ...(role !== undefined ? { role } : {}),
});

const roleOf = (c: Recorded) => (c.root ? "root" : "workload");

/** The teardown steps of `key`'s deletion or replacement (none for a container its cell tears down). */
export function teardownSteps(input: StepInput, key: string): EmittedStep[] {
  const change = input.changes.get(key)!;
  if (!torn(change)) return [];
  const a = parseAddress(key);
  const deleting = change.action === "delete";
  const out: UnorderedStep[] = [];
  switch (a.kind) {
    case "container": {
      if (torn(input.changes.get(parentKey(key)))) return []; // its cell tears it down
      const c = recordedContainer(input, key);
      return containerSteps(c, deleting).map((s) => emitted(s, key, roleOf(c)));
    }
    case "cell":
      return teardownCell(input, a, deleting);
    case "stack":
      out.push(removeCgroup(key));
      break;
    case "space": {
      const names = { networkName: networkName(a.realm, a.space), bridgeName: bridgeName(a.realm, a.space) };
      const spec = input.actual.records[key]?.view.spec as { network?: { egress?: unknown } } | undefined;
      if (spec?.network?.egress !== undefined || input.actual.resources[key]?.network?.egressChainPresent) {
        out.push({
          id: id("egress.remove", key),
          kind: "egress.remove",
          address: key,
          chainName: egressChainName(a.realm, a.space),
          bridgeName: names.bridgeName,
        });
      }
      out.push({ id: id("network.remove", key), kind: "network.remove", address: key, ...names });
      out.push(removeCgroup(key));
      break;
    }
    case "realm":
      out.push(removeCgroup(key), {
        id: id("namespace.delete", key),
        kind: "namespace.delete",
        address: key,
        namespace: recordedNamespace(input.actual, a.realm),
      });
      break;
  }
  if (deleting) out.push(deleteRecord(key));
  return out.map((s) => emitted(s, key));
}

function removeCgroup(key: string): UnorderedStep {
  return { id: id("cgroup.remove", key), kind: "cgroup.remove", address: key, cgroupPath: cgroupOf(key) };
}

function deleteRecord(key: string): UnorderedStep {
  return { id: id("record.delete", key), kind: "record.delete", address: key };
}

const taskStop = (c: Recorded): UnorderedStep => ({
  id: id("task.stop", c.key),
  kind: "task.stop",
  address: c.key,
  namespace: c.namespace,
  containerdId: c.containerdId,
  // Held by containerd's restart monitor: taken back first, or it starts the task again.
  ...(c.monitored ? { monitored: c.monitored } : {}),
});
/** `leaving`: the container goes for good; otherwise it is replaced and keeps its log as the previous one. */
const containerDelete = (c: Recorded, leaving: boolean): UnorderedStep => ({
  id: id("container.delete", c.key),
  kind: "container.delete",
  address: c.key,
  namespace: c.namespace,
  containerdId: c.containerdId,
  // Held by containerd's restart monitor: taken back first, or it starts the task again.
  ...(c.monitored ? { monitored: c.monitored } : {}),
  ...(leaving ? {} : { keepLog: true }),
});

/** task.stop, container.delete, and when the container leaves: cgroup.remove, record.delete. */
function containerSteps(c: Recorded, leaving: boolean): UnorderedStep[] {
  return [taskStop(c), containerDelete(c, leaving), ...(leaving ? [removeCgroup(c.key), deleteRecord(c.key)] : [])];
}

/**
 * A cell's containers (recorded, and the ones an interrupted apply made without recording them),
 * its network detach and unpin (unless host network, or when a pin or attachment is left), and when
 * it is deleted its cgroup and record. Containers that leave the cell lose their cgroup and record
 * even when the cell is only replaced.
 */
function teardownCell(input: StepInput, a: CellAddress, deleting: boolean): EmittedStep[] {
  const key = formatAddress(a);
  const recorded = cellContainerKeys(input.actual, key).map((k) => recordedContainer(input, k));
  const root = recorded.find((c) => c.root);
  const leaving = recorded.filter((c) => deleting || input.changes.get(c.key)?.action === "delete");
  const at = (c: Recorded, step: UnorderedStep) => emitted(step, key, roleOf(c));
  const out: EmittedStep[] = recorded.filter((c) => c !== root).map((c) => at(c, taskStop(c)));
  const hostNetwork = root?.hostNetwork ?? false;
  if ((!hostNetwork && root !== undefined) || cellNetworkPresent(input.actual, a)) {
    const net = {
      networkName: networkName(a.realm, a.space),
      netnsName: netnsName(a),
      rootContainerdId: root?.containerdId ?? rootIdOf(input, a),
    };
    out.push(
      emitted({ id: id("cni.detach", key), kind: "cni.detach", address: key, ...net }, key),
      emitted({ id: id("netns.unpin", key), kind: "netns.unpin", address: key, netnsName: net.netnsName }, key),
    );
  }
  if (root) out.push(at(root, taskStop(root)));
  out.push(
    ...recorded.map((c) => at(c, containerDelete(c, leaving.includes(c)))),
    ...leaving.map((c) => at(c, removeCgroup(c.key))),
    ...leaving.map((c) => at(c, deleteRecord(c.key))),
  );
  if (deleting) out.push(emitted(removeCgroup(key), key), emitted(deleteRecord(key), key));
  return out;
}

/** containerd id the cell's root has (or would have) when no container of it is on the host. */
function rootIdOf(input: StepInput, a: CellAddress): string {
  const rootName = input.entries.get(formatAddress(a))?.view.spec.rootContainerId;
  const name = typeof rootName === "string" ? rootName : "root";
  return containerdId(parseAddress(`container/${addressPath(a).join("/")}/${name}`) as ContainerAddress);
}
