import {
  type Cell,
  cellAddress,
  containerAddress,
  type DesiredState,
  formatAddress,
  LABELS,
  MANAGED_BY,
  realmAddress,
  spaceAddress,
} from "../model/index.js";
import { kubeLabels } from "./labels.js";
import { assignNames, derivedName } from "./names.js";
import { exportNetworkPolicy } from "./network-policy.js";
import { exportPodSpec } from "./pod.js";
import { exportSecret } from "./secrets.js";
import type { ExportedObject, ExportOptions, ExportResult, ExportWarning, KubeObject } from "./types.js";

/**
 * The effective desired state → Kubernetes objects (DESIGN §5 `kuke export kubernetes`).
 * A Namespace per realm+space, a NetworkPolicy per space with an egress policy, and per cell a
 * Pod (or a one-replica Deployment) with its Secret. Deterministic: the same files give the same
 * objects in the same order, whatever order the files declared them in.
 */

/** Annotation on every exported object: the kuke address it comes from. */
export const SOURCE_ANNOTATION = "kuke.dev/address";

interface SpaceKey {
  realm: string;
  space: string;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function exportKubernetes(state: DesiredState, options: ExportOptions = {}): ExportResult {
  const as = options.as ?? "pod";
  const warnings: ExportWarning[] = [];
  const objects: ExportedObject[] = [];

  for (const r of state.realms) {
    if (r.spec.registryCredentials.length > 0) {
      warnings.push({
        address: formatAddress(realmAddress(r.name)),
        message:
          "registryCredentials are not exported: create an image pull secret (kubernetes.io/dockerconfigjson) in each namespace and name it in the pods' imagePullSecrets",
      });
    }
  }
  for (const c of state.looseContainers) {
    warnings.push({
      address: formatAddress(containerAddress(c.realm, c.space, c.stack, c.cell, c.name)),
      message: `joins cell ${c.cell}, which the files do not declare; export the cell's manifest together with it`,
    });
  }

  // Every realm+space that a declared space or cell names gets a namespace.
  const spaceKeys = new Map<string, SpaceKey>();
  for (const s of state.spaces) spaceKeys.set(`${s.realm}/${s.name}`, { realm: s.realm, space: s.name });
  for (const c of state.cells) spaceKeys.set(`${c.realm}/${c.space}`, { realm: c.realm, space: c.space });
  const keys = [...spaceKeys.keys()].sort(byName);
  const namespaceNames = assignNames(keys.map((k) => k.split("/")));
  const spaces = new Map(state.spaces.map((s) => [`${s.realm}/${s.name}`, s]));

  for (const key of keys) {
    const { realm, space: spaceName } = spaceKeys.get(key)!;
    const namespace = namespaceNames.get(key)!;
    const space = spaces.get(key);
    const spaceAddr = formatAddress(spaceAddress(realm, spaceName));
    const kukeLabels = { [LABELS.realm]: realm, [LABELS.space]: spaceName, [LABELS.managedBy]: MANAGED_BY };
    const nsLabels = { ...kubeLabels(space?.labels ?? {}, spaceAddr, warnings), ...kukeLabels };
    objects.push({
      source: spaceAddr,
      object: {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: namespace, labels: nsLabels, annotations: { [SOURCE_ANNOTATION]: spaceAddr } },
      },
    });
    if (space === undefined) {
      warnings.push({
        address: spaceAddr,
        message:
          "the files do not declare this space: its egress policy and container defaults are not known here, so neither is exported; export the space's manifest together with its cells",
      });
    } else {
      const policy = exportNetworkPolicy(space, namespace, kukeLabels);
      warnings.push(...policy.warnings);
      if (policy.object !== undefined) {
        policy.object.metadata.annotations = { [SOURCE_ANNOTATION]: spaceAddr };
        objects.push({ source: spaceAddr, object: policy.object });
      }
    }
    objects.push(...exportCells(state, realm, spaceName, namespace, as, options, warnings));
  }
  return { objects, warnings };
}

function exportCells(
  state: DesiredState,
  realm: string,
  spaceName: string,
  namespace: string,
  as: "pod" | "deployment",
  options: ExportOptions,
  warnings: ExportWarning[],
): ExportedObject[] {
  const cells = state.cells
    .filter((c) => c.realm === realm && c.space === spaceName)
    .sort((a, b) => byName(a.stack, b.stack) || byName(a.name, b.name));
  const podNames = assignNames(cells.map((c) => [c.stack, c.name]));
  const out: ExportedObject[] = [];
  for (const cell of cells) {
    const name = podNames.get(`${cell.stack}/${cell.name}`)!;
    out.push(...exportCell(cell, namespace, name, as, options, warnings));
  }
  return out;
}

function exportCell(
  cell: Cell,
  namespace: string,
  name: string,
  as: "pod" | "deployment",
  options: ExportOptions,
  warnings: ExportWarning[],
): ExportedObject[] {
  const address = formatAddress(cellAddress(cell.realm, cell.space, cell.stack, cell.name));
  const selector = { [LABELS.stack]: cell.stack, [LABELS.cell]: cell.name };
  const labels = {
    ...kubeLabels(cell.labels, address, warnings),
    [LABELS.realm]: cell.realm,
    [LABELS.space]: cell.space,
    ...selector,
    [LABELS.managedBy]: MANAGED_BY,
  };
  const annotations = { [SOURCE_ANNOTATION]: address };
  const out: ExportedObject[] = [];
  const secretName = derivedName(name, "secrets");
  const secret = exportSecret(
    cell,
    { name: secretName, namespace, labels, annotations },
    { includeSecrets: options.includeSecrets ?? false, env: options.env ?? {} },
  );
  if (secret !== undefined) out.push(secret);
  const pod = exportPodSpec(cell, secret !== undefined ? secretName : undefined);
  warnings.push(...pod.warnings);

  let object: KubeObject;
  if (as === "pod") {
    object = { apiVersion: "v1", kind: "Pod", metadata: { name, namespace, labels, annotations }, spec: pod.spec };
  } else {
    if (pod.spec.restartPolicy !== "Always") {
      warnings.push({
        address,
        message: `a Deployment restarts its pod's containers always; the cell's restart policy (${pod.spec.restartPolicy}) cannot be kept`,
      });
    }
    object = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace, labels, annotations },
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        // kuke replaces a cell by stopping it first: never two copies (they would share host ports).
        strategy: { type: "Recreate" },
        template: { metadata: { labels, annotations }, spec: { ...pod.spec, restartPolicy: "Always" } },
      },
    };
  }
  out.push({ source: address, object });
  return out;
}
