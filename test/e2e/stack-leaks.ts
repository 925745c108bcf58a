/**
 * Everything an example stack (stack-host.ts) can leave on the host after a destroy, as lines
 * `kind: thing` (empty means clean): containers and tasks, active snapshots and leases in the
 * realm's namespace, the space's network (bridge, veths, IPAM, NAT and filter chains, pins,
 * conflist), the realm's cgroups, and kuke's records.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { detectCgroupDriver } from "../../src/executors/cgroup/index.js";
import { NetworkExecutor } from "../../src/executors/cni/index.js";
import { cellAddress, cgroupPath, netnsName } from "../../src/model/index.js";
import { ctrFor } from "../harness/containerd.js";
import { leakCheck } from "../harness/netns.js";
import { CELLS, SPACE, STACK, type StackHost } from "./stack-host.js";

export async function stackLeaks(h: StackHost): Promise<string[]> {
  const out: string[] = [];
  for (const id of (await h.containers()).keys()) out.push(`container: ${id}`);
  const ctr = ctrFor(h.containerd, h.namespace);
  const rows = async (argv: string[]) =>
    (await ctr(...argv)).stdout
      .split("\n")
      .slice(1)
      .filter((l) => l.trim() !== "");
  for (const row of await rows(["snapshots", "ls"])) {
    // KEY PARENT KIND: image layers are Committed and stay with the image; Active ones are containers'.
    if (/\bActive\b/.test(row)) out.push(`snapshot: ${row.split(/\s+/)[0]}`);
  }
  // ID CREATED AT LABELS: the labels say whether containerd will collect it (containerd.io/gc.expire).
  for (const row of await rows(["leases", "ls"])) {
    const [id, , labels] = row.trim().split(/\s+/);
    out.push(`lease: ${id}${labels ? ` ${labels}` : ""}`);
  }
  out.push(...(await cellLeaks(h.env, h.realm, SPACE, STACK, CELLS)));
  const cells = Object.keys(CELLS).map((c) => cellAddress(h.realm, SPACE, STACK, c));
  const pins = await readdir(join(h.env.KUKE_RUNTIME_DIR, "netns")).catch(() => [] as string[]);
  for (const p of pins) if (cells.some((c) => netnsName(c) === p)) out.push(`pin: ${p}`);
  const records = await readdir(join(h.env.KUKE_RUN_PATH, "records"), { recursive: true }).catch(() => [] as string[]);
  for (const f of records) if (f.endsWith(".json")) out.push(`record: ${f}`);
  return out;
}

/**
 * What the cells of one stack leave after a destroy (`leakCheck`): the space's network with each
 * cell's pin and attachment, and the cgroups of the realm and of each container. `cells` maps a
 * cell's name to its containers' ids.
 */
export async function cellLeaks(
  env: { KUKE_RUN_PATH: string; KUKE_RUNTIME_DIR: string },
  realm: string,
  space: string,
  stack: string,
  cells: Readonly<Record<string, readonly string[]>>,
): Promise<string[]> {
  const names = Object.keys(cells);
  return leakCheck({
    network: {
      executor: new NetworkExecutor({ runPath: env.KUKE_RUN_PATH, runtimeDir: env.KUKE_RUNTIME_DIR }),
      realm,
      space,
      cells: names.map((c) => cellAddress(realm, space, stack, c)),
    },
    cgroups: {
      driver: await detectCgroupDriver(),
      paths: [
        cgroupPath(realm),
        ...names.flatMap((c) => (cells[c] ?? []).map((k) => cgroupPath(realm, space, stack, c, k))),
      ],
    },
  });
}
