/**
 * Removes what `discover` found, in the order that lets each step succeed: tasks killed →
 * containers deleted → CNI DEL through the pins → unpin → leftover nat chains → space networks
 * (egress chain, bridge, IPAM, conflist, subnet) → cgroups → log files → secret files → the realm's
 * namespace.
 * Anything already gone counts as removed; a failure is reported and the rest still runs.
 */
import { rm, stat } from "node:fs/promises";
import { type CellAddress, isKukeError, KukeError, parseAddress } from "../model/index.js";
import { natChainExists, removeNatChain } from "./nat-chain.js";
import type { Discovery, PurgeDeps, PurgeItem, PurgeReport } from "./types.js";

/** containerd and CNI calls in flight at once: what the 2-core hosts kuke targets saturate at. */
const CONCURRENCY = 4;

export async function purge(found: Discovery, deps: PurgeDeps): Promise<PurgeReport> {
  const items: PurgeItem[] = [];
  const attempt = async (item: Omit<PurgeItem, "outcome">, fn: () => Promise<void>): Promise<boolean> => {
    try {
      await fn();
      items.push({ ...item, outcome: "removed" });
      return true;
    } catch (e) {
      items.push({ ...item, outcome: "failed", detail: describe(e) });
      return false;
    }
  };
  const ns = found.namespace;

  // Killing every task first stops the cell's processes together instead of one by one. A task
  // that will not go is not reported here: deleting its container tries again and reports it.
  await eachLimited(
    found.containers.filter((c) => c.hasTask),
    (c) => deps.containerd.stopTask(ns, c.id, { graceMs: 0 }).then(() => undefined),
    () => undefined,
  );
  await eachLimited(
    found.containers,
    (c) => attempt({ kind: "container", name: c.id }, () => deps.containerd.deleteContainer(ns, c.id, { graceMs: 0 })),
    () => undefined,
  );

  for (const c of found.cells) {
    const cell = parseAddress(c.address) as CellAddress;
    if (c.attachment !== undefined || c.pin !== undefined) {
      // DEL works through the pin even though the root task is gone; without a record or a
      // conflist it has nothing to run and the nat chain fallback below takes over.
      await attempt({ kind: "cni-attachment", name: c.netns }, () => deps.network.detach(cell));
    }
    if (c.pin !== undefined) await attempt({ kind: "netns-pin", name: c.pin }, () => deps.network.unpin(cell));
    if (c.natChain !== undefined) {
      const chain = c.natChain;
      await attempt({ kind: "nat-chain", name: chain }, async () => {
        if (await natChainExists(chain)) await removeNatChain(chain);
      });
    }
  }

  for (const s of found.spaces) {
    const leftovers = [s.bridge, s.conflist, s.subnet, s.egressChain].some((x) => x !== undefined);
    if (!leftovers && s.ipamFiles.length === 0) continue;
    await attempt({ kind: "network", name: s.network }, () => deps.network.removeSpaceNetwork(s.realm, s.space));
  }

  if (found.cgroup.dirs.length > 0) {
    await attempt({ kind: "cgroup", name: found.cgroup.path }, async () => {
      await deps.cgroups.remove(found.cgroup.path);
      // The driver removes in the hierarchies it manages; a directory in any other still counts.
      const left = (await Promise.all(found.cgroup.dirs.map(async (d) => ((await isPresent(d)) ? [d] : [])))).flat();
      if (left.length > 0) throw new KukeError("busy", "cgroup directories remain", { detail: left.join(", ") });
    });
  }

  for (const path of found.logs) {
    await attempt({ kind: "logs", name: path }, () => rm(path, { recursive: true, force: true }));
  }
  for (const path of found.secrets) {
    await attempt({ kind: "secrets", name: path }, () => rm(path, { recursive: true, force: true }));
  }

  if (parseAddress(found.scope).kind === "realm") {
    try {
      await deps.containerd.deleteNamespace(ns);
      items.push({ kind: "namespace", name: ns, outcome: "removed" });
    } catch (e) {
      // Images are staged per realm (`kuke image load --realm`) and outlive a purge on purpose.
      if (isKukeError(e, "failed-precondition")) {
        items.push({
          kind: "namespace",
          name: ns,
          outcome: "kept",
          detail: "it still holds images (kuke image ls/rm --realm)",
        });
      } else items.push({ kind: "namespace", name: ns, outcome: "failed", detail: describe(e) });
    }
  }

  return {
    scope: found.scope,
    items,
    removed: items.filter((i) => i.outcome === "removed").length,
    failed: items.filter((i) => i.outcome === "failed").length,
  };
}

/** One line for the report: a KukeError's summary and detail; anything else is a bug, shown as is. */
function describe(e: unknown): string {
  if (isKukeError(e)) return e.detail ? `${e.message}: ${e.detail.split("\n")[0]}` : e.message;
  return `unexpected error (this is a bug): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
}

/** Runs `fn` over `xs` with at most CONCURRENCY at once; a rejection goes to `onError`, never unhandled. */
async function eachLimited<T>(
  xs: T[],
  fn: (x: T) => Promise<unknown>,
  onError: (e: unknown, x: T) => void,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < xs.length) {
      const x = xs[next++]!;
      await fn(x).catch((e: unknown) => onError(e, x));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, xs.length) }, worker));
}

function isPresent(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
