/**
 * Plan-wide preconditions that make a plan an error instead of an apply that fails half-way: an
 * undeclared parent missing from the host, a foreign containerd object in the way, a secret whose
 * source cannot be read.
 */
import {
  type ActualState,
  type Address,
  type BoundPort,
  containerdId,
  netnsName,
  networkName,
  type PortMapping,
  parentAddress,
  parseAddress,
  parsePortMapping,
  recordedNamespace,
  restartLabels,
} from "../model/index.js";
import { parentKey } from "./address-keys.js";
import { createRemedy, purgeRemedy } from "./remedies.js";
import type { DesiredEntry } from "./resource-view.js";
import type { Diagnostic, DriftItem } from "./types.js";

/** What the checks read and where they report (a subset of the planner's context). */
export interface CheckContext {
  desired: Map<string, DesiredEntry>;
  actual: ActualState;
  drift: DriftItem[];
  errors: Diagnostic[];
}

/** A declared resource needs its parent declared or on the host; kuke never creates it silently. */
export function checkParents(ctx: CheckContext): void {
  const reported = new Set<string>();
  for (const entry of ctx.desired.values()) {
    const parent = parentAddress(entry.address);
    const pk = parentKey(entry.key);
    if (parent === undefined || pk === undefined) continue;
    if (ctx.desired.has(pk) || ctx.actual.records[pk] !== undefined || reported.has(pk)) continue;
    reported.add(pk);
    ctx.errors.push({
      severity: "error",
      code: "not-found",
      address: entry.key,
      summary: `parent ${pk} is not declared in the files and does not exist on the host`,
      remedy: `declare ${pk} in the files, or run '${createRemedy(parent)}'`,
    });
  }
}

/** A containerd object with the id kuke would use, that kuke did not record, blocks a create. */
export function checkInTheWay(ctx: CheckContext): void {
  for (const entry of ctx.desired.values()) {
    if (entry.kind !== "container" || ctx.actual.records[entry.key] !== undefined) continue;
    const a = entry.address as Extract<Address, { kind: "container" }>;
    const realmNs = ctx.desired.get(`realm/${a.realm}`)?.view.spec.namespace;
    const ns = typeof realmNs === "string" ? realmNs : recordedNamespace(ctx.actual, a.realm);
    const id = containerdId(a);
    if (ctx.actual.namespaces[ns]?.containers[id] === undefined) continue;
    const own = ctx.actual.labeled[entry.key];
    if (own?.namespace === ns && own.container.id === id) continue; // kuke's leftover: replaced, see planDesired
    const text = `containerd container '${id}' in namespace '${ns}' exists but was not made by this apply`;
    ctx.drift.push({ address: entry.key, kind: "unmanaged-object", text });
    ctx.errors.push({
      severity: "error",
      code: "already-exists",
      address: entry.key,
      summary: text,
      remedy: `remove it with '${purgeRemedy(a)}', or rename the container`,
    });
  }
}

/** A secret whose source could not be read when planning would fail the apply half-way: refuse now. */
export function checkSecretSources(ctx: CheckContext): void {
  const all = ctx.actual.secretDigests;
  if (all === undefined) return;
  for (const entry of ctx.desired.values()) {
    const digests = all[entry.key];
    for (const s of entry.container?.secrets ?? []) {
      const d = digests?.[s.name];
      if (d === undefined || !("problem" in d)) continue;
      ctx.errors.push({
        severity: "error",
        code: "failed-precondition",
        address: entry.key,
        summary: d.problem,
        ...(d.remedy !== undefined ? { remedy: d.remedy } : {}),
      });
    }
  }
}

/**
 * A container handed to containerd's restart monitor keeps its environment secrets in the spec
 * containerd stores (the monitor creates tasks from that spec alone; every other container's
 * secret variables are kept out of it): say so, with the way out.
 */
export function checkStoredSecretEnv(ctx: CheckContext): void {
  for (const entry of ctx.desired.values()) {
    const k = entry.container;
    if (k === undefined) continue;
    const env = k.secrets.filter((s) => s.mountPath === undefined).map((s) => s.name);
    if (env.length === 0) continue;
    const labels = restartLabels(k.restartPolicy, entry.role ?? "workload", ctx.actual.restartMonitor);
    if (Object.keys(labels).length === 0) continue;
    ctx.errors.push({
      severity: "warning",
      code: "failed-precondition",
      address: entry.key,
      summary: `secret ${env.join(", ")} will be readable in containerd's stored spec of this container (ctr containers info): restartPolicy ${k.restartPolicy} lets containerd's restart monitor re-create its task from that spec`,
      remedy: "give the secret a mountPath (a 0400 file), or use restartPolicy no",
    });
  }
}

/**
 * New spaces need a /24 each from the pool; more of them than free /24s would fail the apply
 * half-way, so the spaces past the free count are plan errors, with the counts and what to do.
 */
export function checkSubnetPool(ctx: CheckContext): void {
  const pool = ctx.actual.subnetPool;
  if (pool === undefined) return;
  const fresh = [...ctx.desired.values()]
    .filter((e) => e.kind === "space")
    .filter((e) => {
      const a = e.address as Extract<Address, { kind: "space" }>;
      return ctx.actual.networks[networkName(a.realm, a.space)]?.subnet === undefined;
    })
    .map((e) => e.key)
    .sort();
  const shown = pool.hostOverlaps.slice(0, 3).join("; ");
  const more = pool.hostOverlaps.length > 3 ? `; and ${pool.hostOverlaps.length - 3} more` : "";
  for (const key of fresh.slice(pool.free)) {
    ctx.errors.push({
      severity: "error",
      code: "unavailable",
      address: key,
      summary: `no free /24 in subnet pool ${pool.pool} for this space: ${fresh.length} new space(s) need one, ${pool.free} free of ${pool.size} (${pool.allocated} allocated to kuke spaces, ${pool.hostOverlaps.length} overlapping the host's addresses or routes)`,
      ...(pool.hostOverlaps.length > 0 ? { detail: `in use on the host: ${shown}${more}` } : {}),
      remedy:
        "destroy spaces you no longer need (kuke destroy), remove the host addresses or routes that overlap the pool, or configure a pool with room (subnetPool)",
    });
  }
}

/** Addresses a /24 hands to cells: .2 to .254 (.0 is the network, .1 the gateway, .255 broadcast). */
export const CELLS_PER_SPACE = 253;

/** A space's cells attached to its bridge, declared or already there, must fit its /24. */
export function checkCellsPerSpace(ctx: CheckContext): void {
  const cells = new Map<string, Set<string>>();
  const count = (space: string, cell: string) => {
    const set = cells.get(space) ?? new Set<string>();
    set.add(cell);
    cells.set(space, set);
  };
  for (const e of ctx.desired.values()) {
    if (e.kind !== "cell" || e.address.kind !== "cell") continue;
    if (e.hostNetwork !== true) count(`space/${e.address.realm}/${e.address.space}`, e.key);
  }
  for (const [key, r] of Object.entries(ctx.actual.records)) {
    if (r.kind !== "cell" || ctx.actual.attachments === undefined) continue;
    const a = parseAddress(key);
    if (a.kind === "cell" && ctx.actual.attachments[netnsName(a)] !== undefined)
      count(`space/${a.realm}/${a.space}`, key);
  }
  for (const [space, set] of cells) {
    if (set.size <= CELLS_PER_SPACE) continue;
    ctx.errors.push({
      severity: "error",
      code: "unavailable",
      address: space,
      summary: `${set.size} cells would attach to this space's /24, which has addresses for ${CELLS_PER_SPACE}`,
      remedy: `spread the cells over more spaces (at most ${CELLS_PER_SPACE} each), or run some with hostNetwork: true`,
    });
  }
}

/**
 * A host port the file publishes must be free: a process listening on it, or another cell
 * publishing it, would make the cell's portmap rules catch nothing (or steal the other's
 * traffic). Ports the cell already publishes are its own.
 */
export function checkHostPorts(ctx: CheckContext): void {
  const bound = ctx.actual.boundPorts ?? [];
  const published = otherCellsPorts(ctx);
  for (const entry of ctx.desired.values()) {
    if (entry.kind !== "cell" || entry.ports === undefined || entry.hostNetwork) continue;
    const own = new Set(ctx.actual.resources[entry.key]?.netns?.attachment?.ports ?? []);
    for (const text of entry.ports) {
      const p = parsePortMapping(text);
      if (typeof p === "string" || own.has(text)) continue;
      const holder = bound.find((b) => b.protocol === p.protocol && b.port === p.hostPort && overlaps(b.address, p));
      const other = published.find(
        (o) =>
          o.cell !== entry.key &&
          o.port.protocol === p.protocol &&
          o.port.hostPort === p.hostPort &&
          overlaps(o.port.hostIp ?? "0.0.0.0", p),
      );
      if (holder === undefined && other === undefined) continue;
      const by = holder
        ? `a process on the host listens on ${holder.address}:${holder.port}`
        : `${other!.cell} publishes it`;
      ctx.errors.push({
        severity: "error",
        code: "already-exists",
        address: entry.key,
        summary: `host port ${p.hostPort}/${p.protocol}${p.hostIp ? ` on ${p.hostIp}` : ""} is taken: ${by}`,
        remedy: "publish another host port in the file, or free this one",
      });
    }
  }
}

/** Ports other cells publish on this host (their attachment records), unless the files move them away. */
function otherCellsPorts(ctx: CheckContext): { cell: string; port: PortMapping }[] {
  const out: { cell: string; port: PortMapping }[] = [];
  for (const r of Object.values(ctx.actual.resources)) {
    const ports = r.netns?.attachment?.ports;
    if (r.kind !== "cell" || ports === undefined) continue;
    const desired = ctx.desired.get(r.address);
    for (const text of ports) {
      if (desired !== undefined && !(desired.ports ?? []).includes(text)) continue; // moved away in this plan
      const p = parsePortMapping(text);
      if (typeof p !== "string") out.push({ cell: r.address, port: p });
    }
  }
  return out;
}

/** A socket on `address` collides with a port published on `p.hostIp` (every address when absent). */
function overlaps(address: BoundPort["address"], p: PortMapping): boolean {
  const any = (a: string | undefined) => a === undefined || a === "0.0.0.0" || a === "::";
  return any(address) || any(p.hostIp) || address === p.hostIp;
}
