import {
  type Cell,
  type ContainerSpec,
  cellAddress,
  containerAddress,
  formatAddress,
  type RestartPolicy,
} from "../model/index.js";
import { exportContainer, SECRET_VOLUME } from "./container.js";
import { SECRET_FILE_MODE } from "./secrets.js";
import type { ExportWarning } from "./types.js";

/**
 * A cell → a pod spec. The cell's root owns its network, IPC and UTS namespaces, which is what a
 * pod's sandbox does; so a synthesized root (a pause process) is the sandbox and is not exported,
 * while a declared root keeps its process as an ordinary container (and a warning says so).
 */

export type PodRestartPolicy = "Always" | "OnFailure" | "Never";

const POD_POLICY: Record<RestartPolicy, PodRestartPolicy> = {
  always: "Always",
  "unless-stopped": "Always",
  "on-failure": "OnFailure",
  no: "Never",
};
/** Stricter = restarts in more cases: a container declared `always` must not be left dead. */
const STRICTNESS: Record<PodRestartPolicy, number> = { Never: 0, OnFailure: 1, Always: 2 };

export interface PodSpecExport {
  spec: Record<string, unknown>;
  warnings: ExportWarning[];
}

/** The containers a pod runs: every declared one, root first; a synthesized root is the sandbox. */
function podContainers(cell: Cell): ContainerSpec[] {
  return cell.spec.containers.filter((c) => !c.synthesized);
}

export function exportPodSpec(cell: Cell, secretName: string | undefined): PodSpecExport {
  const warnings: ExportWarning[] = [];
  const addressOf = (c: ContainerSpec) =>
    formatAddress(containerAddress(cell.realm, cell.space, cell.stack, cell.name, c.id));
  const cellAddr = formatAddress(cellAddress(cell.realm, cell.space, cell.stack, cell.name));
  const containers = podContainers(cell);
  const root = cell.spec.containers[0]!;
  const hostNetwork = root.hostNetwork;

  if (!root.synthesized) {
    warnings.push({
      address: addressOf(root),
      message: `root container '${root.id}' runs its own process; in Kubernetes the pod's sandbox owns the namespaces, so it is exported as an ordinary container and the pod's network outlives it`,
    });
  }
  const disagree = (pick: (c: ContainerSpec) => boolean) =>
    containers.some(pick) && !containers.every(pick) ? containers.filter(pick).map((c) => c.id) : [];
  const netOnly = disagree((c) => c.hostNetwork);
  if (netOnly.length > 0) {
    warnings.push({
      address: cellAddr,
      message: `hostNetwork is set on ${netOnly.join(", ")} only; Kubernetes sets it for the whole pod (every container of the cell shares the root's network in kuke too)`,
    });
  }
  const pidOnly = disagree((c) => c.hostPID);
  if (pidOnly.length > 0) {
    warnings.push({
      address: cellAddr,
      message: `hostPID is set on ${pidOnly.join(", ")} only; Kubernetes sets it for the whole pod, so every container sees the host's processes`,
    });
  }

  const policies = containers.map((c) => POD_POLICY[c.restartPolicy]);
  const restartPolicy = policies.reduce<PodRestartPolicy>((a, b) => (STRICTNESS[b] > STRICTNESS[a] ? b : a), "Never");
  if (new Set(containers.map((c) => c.restartPolicy)).size > 1) {
    warnings.push({
      address: cellAddr,
      message: `containers have different restart policies (${containers.map((c) => `${c.id}: ${c.restartPolicy}`).join(", ")}); Kubernetes has one per pod: ${restartPolicy}, the strictest`,
    });
  }
  for (const c of containers.filter((x) => x.restartPolicy === "unless-stopped")) {
    warnings.push({
      address: addressOf(c),
      message:
        "restartPolicy unless-stopped becomes Always: Kubernetes has no container stopped by hand to leave alone",
    });
  }

  const out: Record<string, unknown>[] = [];
  const volumes: Record<string, unknown>[] = [];
  for (const c of containers) {
    const e = exportContainer(containerAddress(cell.realm, cell.space, cell.stack, cell.name, c.id), c, {
      hostNetwork,
      ...(secretName !== undefined ? { secretName } : {}),
    });
    out.push(e.container);
    volumes.push(...e.volumes);
    warnings.push(...e.warnings);
  }
  if (secretName !== undefined && containers.some((c) => c.secrets.some((s) => s.mountPath !== undefined))) {
    volumes.push({ name: SECRET_VOLUME, secret: { secretName, defaultMode: SECRET_FILE_MODE } });
  }

  const spec: Record<string, unknown> = {
    restartPolicy,
    // kuke gives a cell neither Kubernetes service variables nor an API token: keep it that way.
    enableServiceLinks: false,
    automountServiceAccountToken: false,
  };
  if (hostNetwork) spec.hostNetwork = true;
  // kuke names the cell's UTS namespace after the cell (on the host network it keeps the host's name).
  else spec.hostname = cell.name;
  if (containers.some((c) => c.hostPID)) spec.hostPID = true;
  spec.containers = out;
  if (volumes.length > 0) spec.volumes = volumes;
  return { spec, warnings };
}
