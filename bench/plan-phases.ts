/**
 * Where a no-op `kuke plan` spends its time, phase by phase, in this process (module loading and
 * Node start-up excluded): reading and validating the manifest, opening the host, each bulk read
 * of refresh on its own, the whole refresh, and planning. Used by `bench/apply.ts --phases`.
 */

import { Readable } from "node:stream";
import { plan } from "../src/planner/plan.js";
import { refresh, refreshScopeOf } from "../src/refresh/refresh.js";
import { loadDesiredState } from "../src/runner/manifests.js";
import { openHost } from "../src/runner/open-host.js";

async function ms<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const v = await fn();
  return [v, performance.now() - start];
}

/** Phase timings (ms) of refresh + plan of `file` against the host at `env`'s paths. */
export async function planPhases(
  file: string,
  env: { KUKE_RUN_PATH: string; KUKE_RUNTIME_DIR: string; KUKE_CONTAINERD_ADDRESS: string },
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const put = (phase: string, ms: number) => {
    out[phase] = ms;
  };
  const [desired, load] = await ms(() => loadDesiredState([file], Readable.from([])));
  put("manifest load", load);
  const [host, open] = await ms(() =>
    openHost({
      runPath: env.KUKE_RUN_PATH,
      runtimeDir: env.KUKE_RUNTIME_DIR,
      containerdAddress: env.KUKE_CONTAINERD_ADDRESS,
    }),
  );
  put("open host", open);
  try {
    const scope = refreshScopeOf(desired);
    put("records", (await ms(() => host.records.loadAll()))[1]);
    put("namespaces (first RPC)", (await ms(() => host.inventory.namespaces()))[1]);
    const ns = scope.namespaces[0] as string;
    put("containers+tasks (all)", (await ms(() => host.containerd.listContainers(ns, { all: true })))[1]);
    put(
      "cgroup exists x paths",
      (await ms(() => Promise.all((scope.cgroupPaths ?? []).map((p) => host.cgroups.exists(p)))))[1],
    );
    put("networks", (await ms(() => host.inventory.networks()))[1]);
    put("pins", (await ms(() => host.inventory.pinnedNetns()))[1]);
    put("attachments", (await ms(() => host.inventory.attachments()))[1]);
    put("iptables chains", (await ms(() => host.inventory.egressChains()))[1]);
    const [actual, whole] = await ms(() => refresh(host, scope));
    put("refresh (all, parallel)", whole);
    const options = {
      project: "bench",
      prune: false,
      targets: [],
      replace: [],
      destroy: false,
      refresh: true,
      now: new Date().toISOString(),
    };
    put("plan", (await ms(async () => plan(desired, actual, options)))[1]);
  } finally {
    host.close();
  }
  return out;
}
