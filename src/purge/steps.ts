/**
 * What discovery found → the steps that remove it, of kinds the engine already runs (plus
 * `files.remove` for kuke's own files). Pure. A step waits only for what must be gone before it
 * can succeed, so one failure skips only what truly depends on it and the rest still runs:
 *
 * - a cell's CNI DEL needs nothing first (the pin keeps its namespace), its unpin waits for DEL;
 * - a space's network waits for the DEL of its cells (the executor refuses while any is attached);
 * - the scope's cgroup, logs, secret files and the realm's namespace wait for the containers
 *   (their processes are in the cgroup, write the logs, read the secrets, live in the namespace);
 * - the records go independently: purge forgets them whatever else happens.
 */
import {
  bridgeName,
  type CellAddress,
  containerAddress,
  containerdId,
  networkName,
  parseAddress,
} from "../model/index.js";
import { orphanStepId, type Step } from "../planner/step-types.js";
import type { Discovery } from "./types.js";

/** The removal steps for everything `found` lists, in the order a report lists them. */
export function purgeSteps(found: Discovery): Step[] {
  const scope = parseAddress(found.scope);
  const ns = found.namespace;
  const steps: Step[] = [];
  const add = (s: Step): string => {
    steps.push(s);
    return s.id;
  };
  const ids = new Set<string>();
  const uniqueId = (id: string, suffix: string) => (ids.has(id) ? `${id}#${suffix}` : id);

  const deletes = found.containers.map((c) => {
    const id = uniqueId(`container.delete:${c.address}`, c.id);
    ids.add(id);
    return add({
      id,
      kind: "container.delete",
      address: c.address,
      dependsOn: [],
      namespace: ns,
      containerdId: c.id,
      ...(c.monitored ? { monitored: true as const } : {}),
    });
  });

  // What a killed kuke left needs nothing gone first; the realm's namespace waits for it.
  const orphans = found.orphans.map((o) =>
    add({
      id: orphanStepId(o.object, o.namespace, o.id),
      kind: "orphan.remove",
      address: o.container ?? found.scope,
      dependsOn: [],
      namespace: o.namespace,
      object: o.object,
      orphanId: o.id,
    }),
  );

  const detachesBySpace = new Map<string, string[]>();
  for (const c of found.cells) {
    const cell = parseAddress(c.address) as CellAddress;
    const network = networkName(cell.realm, cell.space);
    const space = `space/${cell.realm}/${cell.space}`;
    let detach: string | undefined;
    if (c.attached || c.pin !== undefined || c.natChain !== undefined) {
      detach = add({
        id: `cni.detach:${c.address}`,
        kind: "cni.detach",
        address: c.address,
        dependsOn: [],
        networkName: network,
        netnsName: c.netns,
        // Not used by DEL (the CNI container id is the netns name); the id the root has or had.
        rootContainerdId: containerdId(containerAddress(cell.realm, cell.space, cell.stack, cell.cell, "root")),
      });
      detachesBySpace.set(space, [...(detachesBySpace.get(space) ?? []), detach]);
    }
    if (c.pin !== undefined) {
      add({
        id: `netns.unpin:${c.address}`,
        kind: "netns.unpin",
        address: c.address,
        dependsOn: detach ? [detach] : [],
        netnsName: c.netns,
      });
    }
  }

  for (const s of found.spaces) {
    const leftovers = [s.bridge, s.conflist, s.subnet, s.egressChain, s.masqueradeChain].some((x) => x !== undefined);
    if (!leftovers && s.ipamFiles.length === 0) continue;
    const address = `space/${s.realm}/${s.space}`;
    add({
      id: `network.remove:${address}`,
      kind: "network.remove",
      address,
      dependsOn: detachesBySpace.get(address) ?? [],
      networkName: s.network,
      bridgeName: bridgeName(s.realm, s.space),
    });
  }

  const at = found.scope;
  if (found.cgroup.dirs.length > 0) {
    add({
      id: `cgroup.remove:${at}`,
      kind: "cgroup.remove",
      address: at,
      dependsOn: deletes,
      cgroupPath: found.cgroup.path,
    });
  }
  if (found.logs.length > 0) {
    add({ id: `files.remove:logs:${at}`, kind: "files.remove", address: at, dependsOn: deletes, area: "logs" });
  }
  if (found.secrets.length > 0) {
    add({ id: `files.remove:secrets:${at}`, kind: "files.remove", address: at, dependsOn: deletes, area: "secrets" });
  }
  if (found.records.length > 0) {
    add({ id: `files.remove:records:${at}`, kind: "files.remove", address: at, dependsOn: [], area: "records" });
  }
  // A realm's namespace that exists is tried on every realm purge; the step keeps it (with a note)
  // while it holds images or containers kuke did not make. One that is not there is not an object
  // purge removed.
  if (scope.kind === "realm" && found.namespaceFound) {
    add({
      id: `namespace.delete:${at}`,
      kind: "namespace.delete",
      address: at,
      dependsOn: [...deletes, ...orphans],
      namespace: ns,
    });
  }
  return steps;
}
