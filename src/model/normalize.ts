import { canonicalPort } from "./ports.js";
import type {
  Capabilities,
  CellInput,
  CellSpec,
  ContainerDefaults,
  ContainerInput,
  ContainerSpec,
  Lifecycle,
  RealmSpec,
  Resources,
  SpaceSpec,
} from "./types.js";

/**
 * Normalization turns what a manifest (or a record of an earlier apply) says into the effective
 * desired state. It is total (never throws: the validator rejects bad input before this runs) and
 * idempotent (`normalize(normalize(x)) == normalize(x)`), which is what lets the planner run the
 * same function over recorded state and see inherited or synthesized values as equal, not as a diff.
 */

/** Image of the synthesized root: a pause process kuke builds locally, never pulled. */
export const PAUSE_IMAGE = "kuke.dev/pause:1";
export const PAUSE_COMMAND = "/pause";
/** Id of a synthesized root container. */
export const SYNTHESIZED_ROOT_ID = "root";

export function defaultNamespace(realm: string): string {
  return `${realm}.kukeon.io`;
}

/** The effective `lifecycle` block (see `Lifecycle`): undefined when it asks for nothing. */
export function normalizeLifecycle(l: Lifecycle | undefined): Lifecycle | undefined {
  const out: Lifecycle = {};
  if (l?.preventDestroy === true) out.preventDestroy = true;
  const ignored = [...new Set(l?.ignoreChanges ?? [])].sort();
  if (ignored.length > 0) out.ignoreChanges = ignored;
  return Object.keys(out).length > 0 ? out : undefined;
}

export function normalizeRealmSpec(realm: string, spec: Partial<RealmSpec> | undefined): RealmSpec {
  return {
    namespace: spec?.namespace !== undefined && spec.namespace !== "" ? spec.namespace : defaultNamespace(realm),
    registryCredentials: (spec?.registryCredentials ?? []).map((c) => ({
      username: c.username,
      password: c.password,
      ...(c.serverAddress ? { serverAddress: c.serverAddress } : {}),
    })),
  };
}

export function normalizeSpaceSpec(spec: Partial<SpaceSpec> | undefined): SpaceSpec {
  const egress = spec?.network?.egress;
  const d = spec?.defaults?.container;
  return {
    network: egress
      ? {
          egress: {
            default: egress.default ?? "allow",
            allow: (egress.allow ?? []).map((r) => ({
              ...(r.host !== undefined ? { host: r.host } : {}),
              ...(r.cidr !== undefined ? { cidr: normalizeCidr(r.cidr) } : {}),
              ports: uniqueSortedNumbers(r.ports ?? []),
            })),
          },
        }
      : {},
    defaults: d ? { container: normalizeDefaults(d) } : {},
  };
}

function normalizeDefaults(d: ContainerDefaults): ContainerDefaults {
  const out: ContainerDefaults = {};
  if (d.user !== undefined) out.user = d.user;
  if (d.readOnlyRootFilesystem !== undefined) out.readOnlyRootFilesystem = d.readOnlyRootFilesystem;
  if (d.capabilities !== undefined) out.capabilities = normalizeCapabilities(d.capabilities);
  if (d.securityOpts !== undefined) out.securityOpts = [...d.securityOpts];
  if (d.tmpfs !== undefined) out.tmpfs = d.tmpfs.map((t) => ({ ...t, options: [...(t.options ?? [])] }));
  if (d.resources !== undefined) out.resources = normalizeResources(d.resources);
  if (d.logMaxBytes !== undefined) out.logMaxBytes = d.logMaxBytes;
  return out;
}

/** A bare IPv4 address means a single host. */
export function normalizeCidr(cidr: string): string {
  return cidr.includes("/") ? cidr : `${cidr}/32`;
}

/** `net_admin`, `NET_ADMIN` and `CAP_NET_ADMIN` all mean `CAP_NET_ADMIN`; order does not matter. */
export function canonicalCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === "ALL") return "ALL";
  return upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
}

export function normalizeCapabilities(c: Partial<Capabilities> | undefined): Capabilities {
  const canon = (xs: string[] | undefined) => [...new Set((xs ?? []).map(canonicalCapability))].sort();
  return { add: canon(c?.add), drop: canon(c?.drop) };
}

function normalizeResources(r: Resources | undefined): Resources {
  const out: Resources = {};
  if (r?.memoryLimitBytes !== undefined) out.memoryLimitBytes = r.memoryLimitBytes;
  if (r?.cpuShares !== undefined) out.cpuShares = r.cpuShares;
  if (r?.pidsLimit !== undefined) out.pidsLimit = r.pidsLimit;
  return out;
}

function uniqueSortedNumbers(xs: number[]): number[] {
  return [...new Set(xs)].sort((a, b) => a - b);
}

/**
 * The effective container: space defaults fill what the container leaves unset (the container
 * wins, one level deep: a container's `capabilities` replaces the default's whole), then kuke's
 * own defaults fill the rest. Accepts an already effective container and returns it unchanged.
 */
export function normalizeContainer(
  c: ContainerInput | ContainerSpec,
  defaults: ContainerDefaults | undefined,
): ContainerSpec {
  const d = defaults ?? {};
  const synthesized = "synthesized" in c ? c.synthesized : false;
  const out: ContainerSpec = {
    id: c.id,
    root: c.root ?? false,
    synthesized,
    image: c.image ?? "",
    args: [...(c.args ?? [])],
    env: [...(c.env ?? [])],
    volumes: (c.volumes ?? []).map((v) => ({ source: v.source, target: v.target, readOnly: v.readOnly ?? false })),
    privileged: c.privileged ?? false,
    hostNetwork: c.hostNetwork ?? false,
    hostPID: c.hostPID ?? false,
    readOnlyRootFilesystem: c.readOnlyRootFilesystem ?? d.readOnlyRootFilesystem ?? false,
    capabilities: normalizeCapabilities(c.capabilities ?? d.capabilities),
    securityOpts: [...(c.securityOpts ?? d.securityOpts ?? [])],
    tmpfs: (c.tmpfs ?? d.tmpfs ?? []).map((t) => ({
      path: t.path,
      ...(t.sizeBytes !== undefined ? { sizeBytes: t.sizeBytes } : {}),
      options: [...(t.options ?? [])],
    })),
    resources: normalizeResources(c.resources ?? d.resources),
    secrets: (c.secrets ?? []).map((s) => ({ ...s })),
    restartPolicy: c.restartPolicy ?? "no",
  };
  if (c.command !== undefined && c.command !== "") out.command = c.command;
  if (c.imagePullPolicy !== undefined) out.imagePullPolicy = c.imagePullPolicy;
  if ("imageDigest" in c && c.imageDigest !== undefined) out.imageDigest = c.imageDigest;
  if (c.ports !== undefined && c.ports.length > 0) out.ports = c.ports.map(canonicalPort);
  if (c.workingDir !== undefined && c.workingDir !== "") out.workingDir = c.workingDir;
  const logMaxBytes = c.logMaxBytes ?? d.logMaxBytes;
  if (logMaxBytes !== undefined) out.logMaxBytes = logMaxBytes;
  // An empty string means "not set" (kukeon writes it that way), so the default applies.
  const user = c.user || d.user;
  if (user !== undefined && user !== "") out.user = user;
  const lifecycle = normalizeLifecycle(c.lifecycle);
  if (lifecycle !== undefined) out.lifecycle = lifecycle;
  return out;
}

/** The root kuke makes up for a cell that declares none: a pause process that owns the namespaces. */
export function synthesizedRoot(hostNetwork: boolean): ContainerSpec {
  return {
    id: SYNTHESIZED_ROOT_ID,
    root: true,
    synthesized: true,
    image: PAUSE_IMAGE,
    command: PAUSE_COMMAND,
    args: [],
    env: [],
    volumes: [],
    privileged: false,
    hostNetwork,
    hostPID: false,
    readOnlyRootFilesystem: true,
    capabilities: { add: [], drop: ["ALL"] },
    securityOpts: ["no-new-privileges"],
    tmpfs: [],
    resources: {},
    secrets: [],
    restartPolicy: "no",
  };
}

/**
 * The effective cell. The root is `rootContainerId` if it names a container, else the single
 * container with `root: true`, else a synthesized pause root. The root comes first in
 * `containers`; host networking is a cell-level choice, so a synthesized root follows the others.
 */
export function normalizeCell(cell: CellInput | CellSpec, defaults: ContainerDefaults | undefined): CellSpec {
  const declared = cell.containers.filter((c) => !("synthesized" in c && c.synthesized));
  let rootId = cell.rootContainerId;
  if (rootId === undefined || rootId === "" || !declared.some((c) => c.id === rootId)) {
    rootId = declared.find((c) => c.root === true)?.id;
  }
  const containers = declared.map((c) => {
    const n = normalizeContainer(c, defaults);
    n.root = n.id === rootId;
    return n;
  });
  const hostNetwork = containers.some((c) => c.hostNetwork);
  let root = containers.find((c) => c.root);
  if (root === undefined) {
    root = synthesizedRoot(hostNetwork);
    rootId = root.id;
  }
  return {
    rootContainerId: root.id,
    containers: [root, ...containers.filter((c) => c !== root)],
  };
}
