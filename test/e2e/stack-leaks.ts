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
  const cellNames = Object.keys(CELLS) as (keyof typeof CELLS)[];
  const cells = cellNames.map((c) => cellAddress(h.realm, SPACE, STACK, c));
  const paths = [
    cgroupPath(h.realm),
    ...cellNames.flatMap((c) => CELLS[c].map((k) => cgroupPath(h.realm, SPACE, STACK, c, k))),
  ];
  out.push(
    ...(await leakCheck({
      network: {
        executor: new NetworkExecutor({ runPath: h.env.KUKE_RUN_PATH, runtimeDir: h.env.KUKE_RUNTIME_DIR }),
        realm: h.realm,
        space: SPACE,
        cells,
      },
      cgroups: { driver: await detectCgroupDriver(), paths },
    })),
  );
  const pins = await readdir(join(h.env.KUKE_RUNTIME_DIR, "netns")).catch(() => [] as string[]);
  for (const p of pins) if (cells.some((c) => netnsName(c) === p)) out.push(`pin: ${p}`);
  const records = await readdir(join(h.env.KUKE_RUN_PATH, "records"), { recursive: true }).catch(() => [] as string[]);
  for (const f of records) if (f.endsWith(".json")) out.push(`record: ${f}`);
  return out;
}
