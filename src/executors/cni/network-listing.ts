/**
 * Bulk listings of the CNI state kuke keeps under the run path, for every space at once: refresh
 * reads them once per plan instead of probing each network or cell. Each is one directory read
 * (plus the files in it), never a per-resource call.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { errnoOf } from "../../fs/fs-errors.js";
import { readText } from "../../fs/small-file.js";
import type { ActualAttachment, ActualNetwork } from "../../model/actual-state.js";
import { KukeError } from "../../model/errors.js";
import { networkName } from "../../model/host-names.js";
import type { SubnetAllocator } from "./subnet-allocator.js";

/** CNI networks by `networkName()`: which have a conflist in `configDir`, which an allocated subnet. */
export async function listNetworks(
  configDir: string,
  subnets: Pick<SubnetAllocator, "list">,
): Promise<Record<string, ActualNetwork>> {
  const [files, allocations] = await Promise.all([listDir(configDir), subnets.list()]);
  const out: Record<string, ActualNetwork> = {};
  for (const f of files) {
    if (f.endsWith(".conflist")) out[f.slice(0, -".conflist".length)] = { conflistPresent: true };
  }
  for (const s of allocations) {
    const name = networkName(s.realm, s.space);
    out[name] = { conflistPresent: out[name]?.conflistPresent ?? false, subnet: s.subnet };
  }
  return out;
}

/** The recorded attachments in `resultsDir` (each ADD's record), by CNI container id (`netnsName()`). */
export async function listAttachments(resultsDir: string): Promise<Record<string, ActualAttachment>> {
  const files = (await listDir(resultsDir)).filter((f) => f.endsWith(".json"));
  const out: Record<string, ActualAttachment> = {};
  await Promise.all(
    files.map(async (f) => {
      const text = await readText(join(resultsDir, f)).catch(() => undefined);
      if (text === undefined) return; // removed while listing
      let a:
        | {
            containerId?: string;
            cell?: string;
            network?: string;
            ip?: string;
            gateway?: string;
            mac?: string;
            ports?: string[];
          }
        | undefined;
      try {
        a = (JSON.parse(text) as { attachment?: typeof a }).attachment;
      } catch {
        return; // a torn file is no attachment; the planner then sees it as missing and repairs
      }
      if (!a?.containerId || !a.ip) return;
      out[a.containerId] = {
        ip: a.ip,
        ...(a.cell ? { cell: a.cell } : {}),
        ...(a.network ? { network: a.network } : {}),
        ...(a.ports ? { ports: a.ports } : {}),
        ...(a.gateway ? { gateway: a.gateway } : {}),
        ...(a.mac ? { mac: a.mac } : {}),
      };
    }),
  );
  return out;
}

/** A directory's names; a directory that does not exist yet is empty. */
async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return [];
    throw new KukeError("runtime", `cannot list ${dir}`, { detail: String(e), cause: e });
  }
}
