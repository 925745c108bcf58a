import type { CniAttachment } from "../executors/cni/network-executor.js";
import type { ResolvedImage } from "../executors/containerd/images.js";
import { readNofileLimit } from "../executors/containerd/oci-spec-host.js";
import type { Step } from "../planner/step-types.js";
import { CellDnsFiles } from "./cell-dns.js";
import type { Host } from "./host.js";

/**
 * What the steps of one apply share: host-assigned values a later step records (a cell's IP, a
 * space's subnet, a container's containerd id), task pids, resolved images and host limits read
 * once. Lives for one `executeSteps` call; nothing in it is persisted except through `record.write`.
 */
export interface RunContext {
  host: Host;
  /** Where `fromEnv` secrets are read. */
  env: Readonly<Record<string, string | undefined>>;
  /** SIGTERM grace before SIGKILL for a process that handles SIGTERM. */
  stopGraceMs: number;
  /** The cells' hosts and resolv.conf files, rewritten as cells of a space attach and detach. */
  dns: CellDnsFiles;
  /** Attachments made by `cni.attach`, by cell address. */
  attachments: Map<string, CniAttachment>;
  /** Subnets from `network.ensure`, by space address. */
  subnets: Map<string, string>;
  /** containerd namespace and id of containers created or updated in this run, by container address. */
  containers: Map<string, { namespace: string; containerdId: string }>;
  /** Pid of each task started in this run, by `<namespace>/<containerd id>`. */
  pids: Map<string, number>;
  /**
   * Secret variables (`NAME=value`) of containers created or updated in this run that their stored
   * spec does not hold, by container address: `task.start` hands them to the task (sealed-env.ts).
   */
  sealedEnv: Map<string, string[]>;
  /** RLIMIT_NOFILE of this process, so specs never ask runc for more (undefined: unreadable). */
  hostNofile: { soft: number; hard: number } | undefined;
  /** Resolves an image once per namespace and name for the whole run. */
  resolveImage(namespace: string, image: string): Promise<ResolvedImage>;
  /** Forgets a cached resolution (after an import made the image present). */
  forgetImage(namespace: string, image: string): void;
  /** Pid of a running task: started in this run, else from one listing per namespace. */
  taskPid(namespace: string, containerdId: string): Promise<number | undefined>;
  /** Tells the user something about `step` that is not a failure (shown with the run's output). */
  note(step: Step, text: string): void;
}

export function newRunContext(
  host: Host,
  env: Readonly<Record<string, string | undefined>>,
  stopGraceMs: number,
  note: (step: Step, text: string) => void = () => undefined,
): RunContext {
  const images = new Map<string, Promise<ResolvedImage>>();
  const listings = new Map<string, Promise<Map<string, number>>>();
  const ctx: RunContext = {
    host,
    env,
    stopGraceMs,
    dns: new CellDnsFiles(host.runPath, () => host.network.listAttachments()),
    attachments: new Map(),
    subnets: new Map(),
    containers: new Map(),
    pids: new Map(),
    sealedEnv: new Map(),
    hostNofile: readNofileLimit(),
    note,
    resolveImage(namespace, image) {
      const key = `${namespace}\n${image}`;
      let p = images.get(key);
      if (p === undefined) {
        p = host.containerd.resolveImage(namespace, image);
        // A failed resolution is not cached: image.ensure may import the image next.
        p.catch(() => images.delete(key));
        images.set(key, p);
      }
      return p;
    },
    forgetImage(namespace, image) {
      images.delete(`${namespace}\n${image}`);
    },
    async taskPid(namespace, containerdId) {
      const known = ctx.pids.get(`${namespace}/${containerdId}`);
      if (known !== undefined) return known;
      let listing = listings.get(namespace);
      if (listing === undefined) {
        listing = host.containerd.runningTaskPids(namespace);
        listing.catch(() => listings.delete(namespace));
        listings.set(namespace, listing);
      }
      return (await listing).get(containerdId);
    },
  };
  return ctx;
}
