/**
 * Steps: the typed, plain-data units the engine runs, one executor call each. Every step carries
 * what its executor needs, so the engine dispatches on `kind` and never looks anything up.
 * Edge direction: a step runs after every step listed in its `dependsOn`.
 */
import type { ContainerSpec, EgressPolicy, RegistryCredential, Resources, ResourceView } from "../model/index.js";

interface StepBase {
  /** Unique in a step list: `<kind>:<address>` (image steps: `image.ensure:<realm>:<image>`). */
  id: string;
  /** The resource the step works on, as an address string. */
  address: string;
  /** Ids of the steps that must finish first. */
  dependsOn: string[];
}

export interface NamespaceEnsureStep extends StepBase {
  kind: "namespace.ensure";
  namespace: string;
}
export interface NamespaceDeleteStep extends StepBase {
  kind: "namespace.delete";
  namespace: string;
}
export interface CgroupEnsureStep extends StepBase {
  kind: "cgroup.ensure";
  /** Relative to the cgroup root, as `cgroupPath()` spells it. */
  cgroupPath: string;
  /** Limits to write when creating (containers). */
  resources: Resources;
}
export interface CgroupUpdateStep extends StepBase {
  kind: "cgroup.update";
  cgroupPath: string;
  resources: Resources;
}
export interface CgroupRemoveStep extends StepBase {
  kind: "cgroup.remove";
  cgroupPath: string;
}
export interface NetworkEnsureStep extends StepBase {
  kind: "network.ensure";
  realm: string;
  space: string;
  networkName: string;
  bridgeName: string;
  /** The subnet allocated earlier, kept on re-ensure; absent means allocate one. */
  subnet?: string;
}
export interface NetworkRemoveStep extends StepBase {
  kind: "network.remove";
  networkName: string;
  bridgeName: string;
}
export interface EgressApplyStep extends StepBase {
  kind: "egress.apply";
  chainName: string;
  bridgeName: string;
  policy: EgressPolicy;
}
export interface EgressRemoveStep extends StepBase {
  kind: "egress.remove";
  chainName: string;
  bridgeName: string;
}
export interface ImageEnsureStep extends StepBase {
  kind: "image.ensure";
  namespace: string;
  image: string;
  /**
   * The digest plan resolved `image` to: this content is made present (pulled by digest when
   * missing) under the name `<repository>@<digest>`, whatever the tag names by then.
   */
  digest?: string;
  /** The realm's registry logins. Sensitive: steps are never printed or stored with these. */
  credentials: RegistryCredential[];
}

/** Everything needed to create or update a container's spec. */
export interface ContainerPayload {
  namespace: string;
  containerdId: string;
  role: "root" | "workload";
  spec: ContainerSpec;
  labels: Record<string, string>;
  cgroupPath: string;
  /** Workloads: the root whose IPC/UTS (and network, unless host) namespaces they join. */
  rootContainerdId?: string;
  /** Pinned netns of the cell (absent for host-network cells). */
  netnsName?: string;
}
export interface ContainerCreateStep extends StepBase, ContainerPayload {
  kind: "container.create";
}
export interface ContainerUpdateStep extends StepBase, ContainerPayload {
  kind: "container.update";
}
export interface ContainerDeleteStep extends StepBase {
  kind: "container.delete";
  namespace: string;
  containerdId: string;
  /** The container's task is held by containerd's restart monitor: taken back before the kill. */
  monitored?: true;
  /**
   * The container is replaced, not deleted: its log is kept as the previous one, so
   * `kuke logs --previous` shows what the old container wrote. @default false (the log goes)
   */
  keepLog?: boolean;
}
export interface TaskStartStep extends StepBase {
  kind: "task.start";
  namespace: string;
  containerdId: string;
  cgroupPath: string;
  /** Once started, the task is handed to containerd's restart monitor (the container has a restart policy label). */
  monitored?: true;
}
export interface TaskStopStep extends StepBase {
  kind: "task.stop";
  namespace: string;
  containerdId: string;
  /** The task is held by containerd's restart monitor: taken back before it is stopped. */
  monitored?: true;
}
export interface TaskKillStep extends StepBase {
  kind: "task.kill";
  namespace: string;
  containerdId: string;
  /** The task is held by containerd's restart monitor: taken back before the signal. */
  monitored?: true;
  /** Signal number (9 = SIGKILL). */
  signal: number;
}
export interface NetnsPinStep extends StepBase {
  kind: "netns.pin";
  netnsName: string;
  namespace: string;
  rootContainerdId: string;
}
export interface NetnsUnpinStep extends StepBase {
  kind: "netns.unpin";
  netnsName: string;
}
export interface CniAttachStep extends StepBase {
  kind: "cni.attach";
  networkName: string;
  netnsName: string;
  /** containerd id of the root, the CNI container id. */
  rootContainerdId: string;
  /** The ports the cell's containers publish, canonical (`formatPortMapping`). @default none */
  ports?: string[];
}
/** Brings an attached cell's published ports to `ports` (portmap only: address and containers kept). */
export interface CniPortsStep extends StepBase {
  kind: "cni.ports";
  networkName: string;
  netnsName: string;
  ports: string[];
}
export interface CniDetachStep extends StepBase {
  kind: "cni.detach";
  networkName: string;
  netnsName: string;
  rootContainerdId: string;
}
export interface RecordWriteStep extends StepBase {
  kind: "record.write";
  project: string;
  /** The view to record (sensitive leaves already digested) and its hash. */
  view: ResourceView;
  specHash: string;
}
export interface RecordDeleteStep extends StepBase {
  kind: "record.delete";
}
/** Records what `kuke start|stop|kill` asked for (`extra.runState`), leaving the rest of the record alone. */
export interface RecordRunStateStep extends StepBase {
  kind: "record.run-state";
  runState: "running" | "stopped";
}

/**
 * Removes what kuke keeps on disk for the address and everything inside it, whatever run left it:
 * `logs` (task logs), `secrets` (secret files of a failed or interrupted run), `records` (kuke's
 * records, good or corrupt). Only `kuke purge` runs it; otherwise these files go with the step that
 * removes their container or resource. The handler derives every path from the address.
 */
export interface FilesRemoveStep extends StepBase {
  kind: "files.remove";
  area: "logs" | "secrets" | "records";
}

/**
 * Removes one of kuke's orphans in containerd (`Plan.orphans`): a rootfs snapshot no container
 * uses, or a lease whose kuke is gone. A snapshot that a container of its key uses by then is kept.
 */
export interface OrphanRemoveStep extends StepBase {
  kind: "orphan.remove";
  namespace: string;
  object: "snapshot" | "lease";
  /** The snapshot key or the lease id. */
  orphanId: string;
}

/** `orphan.remove:<object>:<namespace>:<id>`: unique, as an id is only unique in its namespace. */
export function orphanStepId(object: OrphanRemoveStep["object"], namespace: string, id: string): string {
  return `orphan.remove:${object}:${namespace}:${id}`;
}

export type Step =
  | NamespaceEnsureStep
  | NamespaceDeleteStep
  | CgroupEnsureStep
  | CgroupUpdateStep
  | CgroupRemoveStep
  | NetworkEnsureStep
  | NetworkRemoveStep
  | EgressApplyStep
  | EgressRemoveStep
  | ImageEnsureStep
  | ContainerCreateStep
  | ContainerUpdateStep
  | ContainerDeleteStep
  | TaskStartStep
  | TaskStopStep
  | TaskKillStep
  | NetnsPinStep
  | NetnsUnpinStep
  | CniAttachStep
  | CniPortsStep
  | CniDetachStep
  | RecordWriteStep
  | RecordDeleteStep
  | RecordRunStateStep
  | FilesRemoveStep
  | OrphanRemoveStep;

export type StepKind = Step["kind"];
