import type { NetworkExecutor } from "../executors/cni/network-executor.js";
import type { ContainerdExecutor } from "../executors/containerd/executor.js";
import type {
  ActualAttachment,
  ActualNetwork,
  BoundPort,
  CniPluginFacts,
  RestartMonitorFacts,
  SubnetPoolFacts,
} from "../model/index.js";

/**
 * The bulk reads of the host refresh needs, one listing each (never a per-resource probe), each
 * answered by the executor that owns the fact: containerd namespaces by the containerd executor,
 * CNI networks, attachments, netns pins and egress chains by the network executor.
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
  /** The subnet pool's free /24s and what takes the others (records and the host's networks). */
  subnetPool?(): Promise<SubnetPoolFacts>;
  /** The CNI plugins kuke runs and which are installed. */
  cniPlugins?(): Promise<CniPluginFacts>;
  /** Listening TCP and bound UDP sockets of the host. */
  boundPorts(): Promise<BoundPort[]>;
  /** containerd's restart monitor: loaded, and the policies it announces. */
  restartMonitor(): Promise<RestartMonitorFacts>;
  close(): void;
}

/** The inventory over the containerd executor (sharing its gRPC channel) and one network executor. */
export function hostInventory(
  containerd: Pick<ContainerdExecutor, "listNamespaces" | "restartMonitor">,
  network: Pick<
    NetworkExecutor,
    | "listNetworks"
    | "listPinned"
    | "listAttachments"
    | "listEgressChains"
    | "subnetCapacity"
    | "listBoundPorts"
    | "pluginFacts"
  >,
): HostInventory {
  return {
    namespaces: () => containerd.listNamespaces(),
    networks: () => network.listNetworks(),
    pinnedNetns: () => network.listPinned(),
    attachments: () => network.listAttachments(),
    egressChains: () => network.listEgressChains(),
    subnetPool: () => network.subnetCapacity(),
    boundPorts: () => network.listBoundPorts(),
    cniPlugins: () => network.pluginFacts(),
    restartMonitor: () => containerd.restartMonitor(),
    // The channel is the executor's; closing the host closes it.
    close: () => undefined,
  };
}
