/**
 * A host for engine tests without containerd, CNI or cgroups: hand-written fakes that record every
 * call as one line (`createContainer ns id`), can be told to fail or to block, and real record and
 * journal stores on a temporary run path.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Host } from "../../src/engine/host.js";
import type { CgroupDriver } from "../../src/executors/cgroup/driver.js";
import type { CniAttachment } from "../../src/executors/cni/network-executor.js";
import type { NewContainer } from "../../src/executors/containerd/containers.js";
import type { ContainerdExecutor, ContainerRecord } from "../../src/executors/containerd/executor.js";
import type { ResolvedImage } from "../../src/executors/containerd/images.js";
import type { ImportResult } from "../../src/executors/containerd/importer.js";
import { type CellAddress, formatAddress, KukeError, netnsName, networkName } from "../../src/model/index.js";
import type { HostInventory } from "../../src/refresh/host-inventory.js";
import { JournalStore } from "../../src/state/apply-journal.js";
import { RecordStore } from "../../src/state/record-store.js";
import { RunLock } from "../../src/state/run-lock.js";
import { runPathLayout } from "../../src/state/run-path.js";
import { onTeardown } from "../harness/teardown.js";

export interface FakeHost extends Host {
  calls: string[];
  /** Containers created, by containerd id, with the spec they got. */
  created: Map<string, NewContainer>;
  /** The sealed env each startTask was given (secret variables kept out of the stored spec), by containerd id. */
  sealedEnv: Map<string, readonly string[]>;
  /** containerd ids whose createContainer fails with a `runtime` KukeError. */
  failCreate: Set<string>;
  /** Cell addresses whose CNI detach fails. */
  failDetach: Set<string>;
  /** Image names resolveImage reports as `not-found` until they are imported. */
  missingImages: Set<string>;
  /** containerd namespaces that exist (ensureNamespace adds, deleteNamespace removes). */
  namespaces: Set<string>;
  /** Cgroup paths that exist (ensure adds, remove takes the path and everything below it). */
  cgroupPaths: Set<string>;
  /** Called at the start of every startTask; tests make it wait to hold steps "running". */
  beforeStart: (id: string) => Promise<void>;
  cleanup(): void;
}

const unused = (name: string) => () => {
  throw new Error(`fake host: ${name} is not expected in this test`);
};

export function fakeHost(label: string): FakeHost {
  const base = mkdtempSync(join(tmpdir(), `kuke-engine-${label}-`));
  const cleanup = () => rmSync(base, { recursive: true, force: true });
  onTeardown(`remove ${base}`, cleanup);
  const layout = runPathLayout(join(base, "run"));
  const calls: string[] = [];
  const created = new Map<string, NewContainer>();
  const sealedEnv = new Map<string, readonly string[]>();
  const failCreate = new Set<string>();
  const failDetach = new Set<string>();
  const missingImages = new Set<string>();
  const namespaces = new Set<string>();
  const cgroupPaths = new Set<string>();
  let nextPid = 5000;
  let nextIp = 2;
  const image: ResolvedImage = {
    name: "docker.io/library/busybox:latest",
    digest: "sha256:feed",
    process: { entrypoint: [], cmd: ["sh"], env: ["PATH=/bin"], workingDir: "", user: "" },
    topChainId: "sha256:top",
  };

  const containerd: ContainerdExecutor = {
    async listNamespaces() {
      calls.push("listNamespaces");
      return [...namespaces].sort();
    },
    async ensureNamespace(ns) {
      calls.push(`ensureNamespace ${ns}`);
      namespaces.add(ns);
    },
    async deleteNamespace(ns) {
      calls.push(`deleteNamespace ${ns}`);
      namespaces.delete(ns);
    },
    async importImage(ns, source) {
      calls.push(`importImage ${ns} ${source.name}`);
      missingImages.delete(source.name);
      return { name: source.name } as ImportResult;
    },
    async resolveImage(ns, name) {
      calls.push(`resolveImage ${ns} ${name}`);
      if (missingImages.has(name)) throw new KukeError("not-found", `image ${name} is not in namespace ${ns}`);
      return { ...image, name };
    },
    async listImages() {
      return [];
    },
    removeImage: unused("removeImage"),
    async tagImage(ns, source, name) {
      calls.push(`tagImage ${ns} ${source} ${name}`);
      if (missingImages.has(source)) throw new KukeError("not-found", `image ${source} is not in namespace ${ns}`);
      missingImages.delete(name);
    },
    async createContainer(ns, c) {
      calls.push(`createContainer ${ns} ${c.id}`);
      if (failCreate.has(c.id)) throw new KukeError("runtime", `cannot create ${c.id}`, { detail: "injected" });
      created.set(c.id, c);
    },
    async updateContainer(ns, id) {
      calls.push(`updateContainer ${ns} ${id}`);
    },
    async startTask(ns, id, _logPath, sealed = []) {
      await host.beforeStart(id);
      sealedEnv.set(id, sealed);
      calls.push(`startTask ${ns} ${id}`);
      return { pid: nextPid++ };
    },
    async stopTask(ns, id) {
      calls.push(`stopTask ${ns} ${id}`);
      return undefined;
    },
    killTask: unused("killTask"),
    async containerLabels(_ns, id) {
      return { ...(created.get(id)?.labels ?? {}) };
    },
    // Restart-monitor hand-overs are not host changes the fake's call log tracks.
    setRestartStatus: async () => false,
    restartMonitor: async () => ({ loaded: true, capabilities: [] }),
    exec: unused("exec"),
    async deleteContainer(ns, id) {
      calls.push(`deleteContainer ${ns} ${id}`);
    },
    async listContainers(): Promise<ContainerRecord[]> {
      return [];
    },
    async runningTaskPids() {
      return new Map<string, number>();
    },
    async removeOrphans(ns) {
      calls.push(`removeOrphans ${ns}`);
      return { snapshots: [], leases: [] };
    },
    listOrphans: async () => [],
    async removeOrphan(ns, object, id) {
      calls.push(`removeOrphan ${ns} ${object} ${id}`);
      return true;
    },
    close() {},
  };

  const cgroups: CgroupDriver = {
    version: "v2",
    controllers: async () => ["cpu", "memory", "pids"],
    async ensure(path) {
      calls.push(`cgroup.ensure ${path}`);
      cgroupPaths.add(path);
    },
    async setLimits(path) {
      calls.push(`cgroup.setLimits ${path}`);
    },
    readLimits: unused("readLimits"),
    effective: (l) => l,
    async remove(path) {
      calls.push(`cgroup.remove ${path}`);
      for (const p of cgroupPaths) if (p === path || p.startsWith(`${path}/`)) cgroupPaths.delete(p);
    },
    async exists(path) {
      return cgroupPaths.has(path);
    },
    async existing(paths) {
      return new Set(paths.filter((p) => cgroupPaths.has(p)));
    },
    pids: unused("pids"),
  };

  const attached = new Map<string, CniAttachment>();
  const attachment = (cell: CellAddress): CniAttachment => {
    const ip = `10.88.7.${nextIp++}`;
    return {
      containerId: netnsName(cell),
      cell: formatAddress(cell),
      network: networkName(cell.realm, cell.space),
      netnsPath: "/nowhere",
      ifName: "eth0",
      ip,
      cidr: `${ip}/24`,
      gateway: "10.88.7.1",
      mac: "02:00:00:00:00:01",
      ports: [],
      result: { cniVersion: "1.0.0" } as CniAttachment["result"],
    };
  };

  const host: FakeHost = {
    containerd,
    cgroups,
    network: {
      async ensureSpaceNetwork(realm, space) {
        calls.push(`ensureSpaceNetwork ${realm} ${space}`);
        return {
          realm,
          space,
          network: "n",
          bridge: "b",
          subnet: "10.88.7.0/24",
          gateway: "10.88.7.1",
          cniVersion: "1.0.0",
          conflistPath: "/nowhere",
        };
      },
      async removeSpaceNetwork(realm, space) {
        calls.push(`removeSpaceNetwork ${realm} ${space}`);
      },
      async pin(cell, pid) {
        calls.push(`pin ${formatAddress(cell)} ${pid}`);
        return "/nowhere";
      },
      async unpin(cell) {
        calls.push(`unpin ${formatAddress(cell)}`);
      },
      async attach(cell) {
        calls.push(`attach ${formatAddress(cell)}`);
        const a = attachment(cell);
        attached.set(a.containerId, a);
        return a;
      },
      async setPorts(cell, ports) {
        calls.push(`setPorts ${formatAddress(cell)} ${ports.length}`);
        return attachment(cell);
      },
      async listAttachments() {
        return Object.fromEntries([...attached].map(([k, a]) => [k, { ip: a.ip, cell: a.cell, network: a.network }]));
      },
      async detach(cell) {
        calls.push(`detach ${formatAddress(cell)}`);
        if (failDetach.has(formatAddress(cell)))
          throw new KukeError("runtime", "cannot detach", { detail: "injected" });
        attached.delete(netnsName(cell));
      },
      applyEgress: unused("applyEgress"),
      removeEgress: unused("removeEgress"),
      pinPath: (cell) => join(base, "runtime", "netns", netnsName(cell)),
    },
    // What refresh lists: the namespaces above; no CNI networks, pins, attachments or chains.
    inventory: {
      namespaces: () => containerd.listNamespaces(),
      networks: async () => ({}),
      pinnedNetns: async () => [],
      attachments: async () => ({}),
      egressChains: async () => [],
      boundPorts: async () => [],
      restartMonitor: () => containerd.restartMonitor(),
      close: () => undefined,
    } satisfies HostInventory,
    records: new RecordStore(layout),
    journal: new JournalStore(layout),
    lock: new RunLock(layout),
    runPath: layout.root,
    runtimeDir: join(base, "runtime"),
    logDir: join(layout.root, "logs"),
    close() {},
    calls,
    created,
    sealedEnv,
    failCreate,
    failDetach,
    missingImages,
    namespaces,
    cgroupPaths,
    beforeStart: async () => undefined,
    cleanup,
  };
  return host;
}
