/**
 * Bulk listings of the CNI state kuke keeps under the run path, for every space at once: refresh
 * reads them once per plan instead of probing each network or cell. Each is one directory read
 * (plus the files in it), never a per-resource call.
 *
 * The directory and its files are read synchronously: they are a few hundred bytes each, and
 * through the thread pool each file is four trips (open, stat, read, close), each waiting for a
 * free turn of the main thread, which refresh fills with the records and cgroups (issue 13).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { errnoOf } from "../../fs/fs-errors.js";
import type { ActualAttachment, ActualNetwork } from "../../model/actual-state.js";
import { KukeError } from "../../model/errors.js";
import { networkName } from "../../model/host-names.js";
import type { SubnetAllocator } from "./subnet-allocator.js";

/** CNI networks by `networkName()`: which have a conflist in `configDir`, which an allocated subnet. */
export async function listNetworks(
  configDir: string,
  subnets: Pick<SubnetAllocator, "list">,
): Promise<Record<string, ActualNetwork>> {
  const files = listDir(configDir);
  const allocations = await subnets.list();
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
  const out: Record<string, ActualAttachment> = {};
  for (const f of listDir(resultsDir)) {
    if (!f.endsWith(".json")) continue;
    const read = readAttachment(join(resultsDir, f));
    if (read !== undefined) out[read.containerId] = read.attachment;
  }
  return out;
}

/** One attachment record; undefined when it was removed while listing, is torn, or names no address. */
function readAttachment(file: string): { containerId: string; attachment: ActualAttachment } | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined; // removed while listing
  }
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
    return undefined; // a torn file is no attachment; the planner then sees it as missing and repairs
  }
  if (!a?.containerId || !a.ip) return undefined;
  return {
    containerId: a.containerId,
    attachment: {
      ip: a.ip,
      ...(a.cell ? { cell: a.cell } : {}),
      ...(a.network ? { network: a.network } : {}),
      ...(a.ports ? { ports: a.ports } : {}),
      ...(a.gateway ? { gateway: a.gateway } : {}),
      ...(a.mac ? { mac: a.mac } : {}),
    },
  };
}

/** A directory's names; a directory that does not exist yet is empty. */
function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return [];
    throw new KukeError("runtime", `cannot list ${dir}`, { detail: String(e), cause: e });
  }
}
