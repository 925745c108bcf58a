/**
 * Finds everything kuke made for a realm/space/stack/cell/container on this host *without* reading
 * kuke's records: containerd objects by label, cgroup directories by path, CNI state and netns pins
 * by the names `src/model/host-names.ts` gives them, and the record files themselves by path.
 * Reads only; `purgeSteps` turns what it finds into steps.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { natChainExists } from "../executors/cni/nat-chain.js";
import { masqueradeChainName } from "../executors/cni/network-executor.js";
import { cgroupMounts } from "../executors/containerd/cgroup-cleanup.js";
import {
  type Address,
  addressPath,
  bridgeName,
  type CellAddress,
  cellAddress,
  cgroupPath,
  containerAddress,
  defaultNamespace,
  egressChainName,
  formatAddress,
  isValidName,
  isWithin,
  LABELS,
  masqueradeChainOfSpace,
  monitorRestarts,
  netnsName,
  networkName,
  parseAddress,
} from "../model/index.js";
import { logPathOf, previousLogPath, runPathLayout, secretDirOf } from "../state/run-path.js";
import type { Discovery, DiscoverySource, FoundCell, FoundContainer, FoundSpace } from "./types.js";

type Networks = Awaited<ReturnType<DiscoverySource["network"]["listNetworks"]>>;

/** Lists what a purge of `scope` removes. Throws `unavailable` when containerd cannot be reached. */
export async function discover(scope: Address, deps: DiscoverySource): Promise<Discovery> {
  const namespace = deps.namespace ?? defaultNamespace(scope.realm);
  const [containers, namespaces] = await Promise.all([
    findContainers(scope, namespace, deps),
    deps.containerd.listNamespaces(),
  ]);
  const namespaceFound = scope.kind === "realm" && namespaces.includes(namespace);
  const orphans = namespaces.includes(namespace)
    ? (await deps.containerd.listOrphans(namespace)).filter(
        (o) => scope.kind === "realm" || (o.container !== undefined && isWithin(parseAddress(o.container), scope)),
      )
    : [];
  const mounts = deps.cgroupMounts ?? cgroupMounts();
  const path = cgroupPath(...addressPath(scope));
  const dirs = (await Promise.all(mounts.map((m) => subtree(join(m, path))))).flat();
  const networks = await deps.network.listNetworks();
  const spaceNames =
    scope.kind === "realm" || scope.kind === "space" ? await findSpaces(scope, deps, mounts, networks) : [];
  const spaces = await Promise.all(spaceNames.map((s) => findSpace(scope.realm, s, deps.network, networks)));
  const cells = scope.kind === "container" ? [] : await findCells(scope, containers, deps.network);
  const logs = deps.runPath ? await findLogs(scope, deps.runPath) : [];
  const secretsDir = deps.runtimeDir ? secretDirOf(deps.runtimeDir, scope) : undefined;
  const secrets = secretsDir !== undefined && (await exists(secretsDir)) ? [secretsDir] : [];
  const records = deps.records ? await deps.records.filesUnder(scope) : [];
  return {
    scope: formatAddress(scope),
    namespace,
    namespaceFound,
    containers,
    orphans,
    cells,
    spaces,
    // Deepest first, the order they can be removed in.
    cgroup: { path, dirs: dirs.sort((a, b) => b.split("/").length - a.split("/").length || a.localeCompare(b)) },
    logs,
    secrets,
    records,
  };
}

/** kuke-managed containers whose labels put them inside `scope`. */
async function findContainers(scope: Address, namespace: string, deps: DiscoverySource): Promise<FoundContainer[]> {
  const out: FoundContainer[] = [];
  for (const c of await deps.containerd.listContainers(namespace)) {
    const l = c.labels;
    const names = [l[LABELS.realm], l[LABELS.space], l[LABELS.stack], l[LABELS.cell], l[LABELS.container]];
    if (!names.every((n): n is string => n !== undefined && isValidName(n))) continue;
    const [r, s, t, cell, k] = names as [string, string, string, string, string];
    const a = containerAddress(r, s, t, cell, k);
    if (!isWithin(a, scope)) continue;
    out.push({
      id: c.id,
      address: formatAddress(a),
      hasTask: c.hasTask,
      status: c.status,
      monitored: monitorRestarts(c.labels),
    });
  }
  return out;
}

/**
 * Spaces of the realm (or just the scope's space) that left anything behind: a subnet record, a
 * conflist, a cgroup directory or a netns pin names them.
 */
async function findSpaces(
  scope: Address,
  deps: DiscoverySource,
  mounts: string[],
  networks: Networks,
): Promise<string[]> {
  if (scope.kind === "space") return [scope.space];
  const realm = scope.realm;
  const names = new Set<string>();
  // `kuke_<realm>_<space>` (a conflist or a subnet record): names hold no `_`, so the rest after
  // the prefix is the space.
  const prefix = networkName(realm, "");
  for (const n of Object.keys(networks)) if (n.startsWith(prefix)) names.add(n.slice(prefix.length));
  for (const m of mounts) for (const d of await listSubdirs(join(m, cgroupPath(realm)))) names.add(d);
  for (const pin of await deps.network.pinner.list()) {
    const cell = cellOfNetns(basename(pin));
    if (cell?.realm === realm) names.add(cell.space);
  }
  return [...names].filter(isValidName).sort();
}

async function findSpace(
  realm: string,
  space: string,
  network: DiscoverySource["network"],
  networks: Networks,
): Promise<FoundSpace> {
  const leaks = await network.leaks(realm, space);
  const subnet = networks[networkName(realm, space)]?.subnet;
  const chain = egressChainName(realm, space);
  const masquerade = masqueradeChainOfSpace(realm, space);
  return {
    realm,
    space,
    network: networkName(realm, space),
    ...(leaks.bridge.length > 0 ? { bridge: bridgeName(realm, space) } : {}),
    ...(leaks.conflist[0] !== undefined ? { conflist: leaks.conflist[0] } : {}),
    ipamFiles: leaks.ipamFiles,
    ...(subnet !== undefined ? { subnet } : {}),
    ...(leaks.egressRules.length > 0 ? { egressChain: chain } : {}),
    ...(leaks.natRules.includes(`:${masquerade} - [0:0]`) ? { masqueradeChain: masquerade } : {}),
  };
}

/**
 * Cells in scope with network leftovers, named by netns pins, attachment records or the labels of
 * their containers.
 */
async function findCells(
  scope: Address,
  containers: FoundContainer[],
  network: DiscoverySource["network"],
): Promise<FoundCell[]> {
  const cells = new Map<string, CellAddress>();
  const add = (c: CellAddress | undefined) => {
    if (c && isWithin(c, scope)) cells.set(formatAddress(c), c);
  };
  for (const pin of await network.pinner.list()) add(cellOfNetns(basename(pin)));
  const attachments = new Set(Object.keys(await network.listAttachments()));
  for (const id of attachments) add(cellOfNetns(id));
  for (const c of containers) {
    const [r, s, t, cell] = addressPath(parseAddress(c.address));
    add(cellAddress(r!, s!, t!, cell!));
  }
  const out: FoundCell[] = [];
  for (const [address, cell] of [...cells].sort(([a], [b]) => a.localeCompare(b))) {
    const netns = netnsName(cell);
    const pin = network.pinner.pathOf(cell);
    const pinned = (await network.isPinned(cell)) || (await exists(pin));
    const chain = masqueradeChainName(networkName(cell.realm, cell.space), netns);
    out.push({
      address,
      netns,
      ...(pinned ? { pin } : {}),
      ...(attachments.has(netns) ? { attached: true } : {}),
      ...((await natChainExists(chain)) ? { natChain: chain } : {}),
    });
  }
  return out;
}

/** Log files of the scope: a container's current and previous log, the directory for anything larger. */
async function findLogs(scope: Address, runPath: string): Promise<string[]> {
  const target = logPathOf(runPathLayout(runPath).logs, scope);
  if (scope.kind === "container") {
    const found: string[] = [];
    for (const f of [target, previousLogPath(target)]) if (await exists(f)) found.push(f);
    return found;
  }
  return (await exists(target)) ? [target] : [];
}

/**
 * The cell a netns name (`<realm>_<space>_<stack>_<cell>`) stands for; undefined for anything else.
 * Unambiguous because names cannot contain `_`.
 */
export function cellOfNetns(name: string): CellAddress | undefined {
  const parts = name.split("_");
  if (parts.length !== 4 || !parts.every(isValidName)) return undefined;
  const [r, s, t, c] = parts as [string, string, string, string];
  return cellAddress(r, s, t, c);
}

/** Every directory at and below `dir`, or none when it does not exist. */
async function subtree(dir: string): Promise<string[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out = [dir];
  for (const e of entries) if (e.isDirectory()) out.push(...(await subtree(join(dir, e.name))));
  return out;
}

/** Names of the directories in `dir` (a cgroup directory also holds control files such as `tasks`). */
async function listSubdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
