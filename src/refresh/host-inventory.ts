import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { NetworkExecutor } from "../executors/cni/network-executor.js";
import type { ContainerdExecutor } from "../executors/containerd/executor.js";
import { KukeError } from "../model/errors.js";
import { networkName } from "../model/host-names.js";
import type { ActualAttachment, ActualNetwork } from "../model/index.js";

/**
 * Bulk reads of the host that the executors' ports do not offer (yet): which containerd namespaces
 * exist (through the containerd executor), and the CNI state files
 * and kernel objects of all spaces at once. Refresh is the only caller; each method is one listing,
 * never a per-resource probe.
 */
export interface HostInventory {
  /** Names of the containerd namespaces that exist. */
  namespaces(): Promise<string[]>;
  /** CNI networks by `networkName()`: conflist present, allocated subnet. */
  networks(): Promise<Record<string, ActualNetwork>>;
  /** `netnsName()`s with a namespace mounted at their pin path. */
  pinnedNetns(): Promise<string[]>;
  /** Recorded CNI attachments by `netnsName()`. */
  attachments(): Promise<Record<string, ActualAttachment>>;
  /** kuke's egress chains (`KUKE-EG-…`) present in the filter table. */
  egressChains(): Promise<string[]>;
  close(): void;
}

const EGRESS_CHAIN_PREFIX = "KUKE-EG-";

/**
 * The inventory over the containerd executor (sharing its gRPC channel: one connection per
 * process) and one network executor's run-path state.
 */
export function hostInventory(
  containerd: Pick<ContainerdExecutor, "listNamespaces">,
  network: NetworkExecutor,
): HostInventory {
  return {
    namespaces: () => containerd.listNamespaces(),
    async networks() {
      const [files, subnets] = await Promise.all([listDir(network.configDir), network.subnets.list()]);
      const out: Record<string, ActualNetwork> = {};
      for (const f of files) {
        if (f.endsWith(".conflist")) out[f.slice(0, -".conflist".length)] = { conflistPresent: true };
      }
      for (const s of subnets) {
        const name = networkName(s.realm, s.space);
        out[name] = { conflistPresent: out[name]?.conflistPresent ?? false, subnet: s.subnet };
      }
      return out;
    },
    async pinnedNetns() {
      const dir = `${network.pinner.dir}/`;
      const text = await readFile("/proc/self/mountinfo", "utf8");
      const out: string[] = [];
      for (const line of text.split("\n")) {
        const mountPoint = line.split(" ")[4]?.replace(/\\040/g, " ");
        if (mountPoint?.startsWith(dir)) out.push(mountPoint.slice(dir.length));
      }
      return [...new Set(out)].sort();
    },
    async attachments() {
      const files = (await listDir(network.resultsDir)).filter((f) => f.endsWith(".json"));
      const out: Record<string, ActualAttachment> = {};
      await Promise.all(
        files.map(async (f) => {
          const text = await readFile(join(network.resultsDir, f), "utf8").catch(() => undefined);
          if (text === undefined) return; // removed while listing
          let a: { containerId?: string; ip?: string; gateway?: string; mac?: string } | undefined;
          try {
            a = (JSON.parse(text) as { attachment?: typeof a }).attachment;
          } catch {
            return; // a torn file is no attachment; the planner then sees it as missing and repairs
          }
          if (!a?.containerId || !a.ip) return;
          out[a.containerId] = {
            ip: a.ip,
            ...(a.gateway ? { gateway: a.gateway } : {}),
            ...(a.mac ? { mac: a.mac } : {}),
          };
        }),
      );
      return out;
    },
    async egressChains() {
      const text = await iptablesList();
      return text
        .split("\n")
        .filter((l) => l.startsWith(`-N ${EGRESS_CHAIN_PREFIX}`))
        .map((l) => l.slice(3).trim())
        .sort();
    },
    // The channel is the executor's; closing the host closes it.
    close: () => undefined,
  };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new KukeError("runtime", `cannot list ${dir}`, { detail: String(e), cause: e });
  }
}

/** `iptables -S` of the filter table: every chain and rule in one call. */
function iptablesList(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("iptables", ["-w", "-S"], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = (err as NodeJS.ErrnoException).code;
      reject(
        new KukeError(code === "ENOENT" ? "failed-precondition" : "runtime", "cannot list iptables chains", {
          detail: stderr.trim() || err.message,
          ...(code === "ENOENT" ? { remedy: "install iptables" } : {}),
          cause: err,
        }),
      );
    });
  });
}
