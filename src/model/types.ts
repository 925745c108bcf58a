/**
 * kuke's resource model: kukeon `v1beta1` field names, as plain JSON-safe data.
 *
 * Two shapes exist per kind. The *input* shape (`*Input`) is what a manifest says: optional fields
 * stay undefined when not written, so normalization can tell "not set" from "set to the default".
 * The *effective* shape is what `normalize*` returns: space defaults merged, root chosen or
 * synthesized, defaults filled. The planner only ever sees effective shapes, on both sides of a diff.
 */

/**
 * kuke's own `lifecycle` block (Terraform's meaning), allowed on every resource: in the spec of a
 * document, and in each container of a cell. Records keep it, so a resource the files no longer
 * declare is still protected. Effective form (`normalizeLifecycle`): `preventDestroy` only when
 * true, `ignoreChanges` only when non-empty (sorted, each once), the whole block absent when empty.
 */
export interface Lifecycle {
  /** A plan that would delete or replace the resource is refused (exit 5). @default false */
  preventDestroy?: boolean;
  /**
   * Field paths of the resource's view (`spec.image`, `labels`, `spec.resources.memoryLimitBytes`),
   * as the planner's field table names them: neither diffed nor applied once the resource exists.
   */
  ignoreChanges?: string[];
}

/** Registry login for image pulls. `password` is sensitive: never printed, recorded only hashed. */
export interface RegistryCredential {
  username: string;
  password: string;
  /** Registry host this credential is for (`docker.io`, `127.0.0.1:5000`); empty means any. */
  serverAddress?: string;
}

export interface RealmSpec {
  /** containerd namespace. @default `<realm>.kukeon.io` */
  namespace: string;
  registryCredentials: RegistryCredential[];
}

export interface EgressAllowRule {
  /** DNS name resolved when the policy is applied. Exactly one of `host` and `cidr` is set. */
  host?: string;
  /** IPv4 CIDR (a bare address means /32). */
  cidr?: string;
  /** Destination ports, TCP and UDP. Empty means every port. */
  ports: number[];
}

export interface EgressPolicy {
  /** What happens to traffic no allow rule matches. @default "allow" */
  default: "allow" | "deny";
  allow: EgressAllowRule[];
}

export interface Capabilities {
  /** Canonical `CAP_*` names, or `ALL`. */
  add: string[];
  drop: string[];
}

export interface TmpfsMount {
  path: string;
  sizeBytes?: number;
  options: string[];
}

export interface Resources {
  memoryLimitBytes?: number;
  cpuShares?: number;
  pidsLimit?: number;
}

export interface VolumeMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** A secret reference. The value is read on the host at apply time and never stored. */
export interface SecretRef {
  name: string;
  fromFile?: string;
  fromEnv?: string;
  /** Mount the value read-only (0400) at this path; without it the value is injected as env `name=value`. */
  mountPath?: string;
  /**
   * `sha256:<hex>` digest of the value, filled in for planning from what the source held when the
   * host was read (never the value itself), so records notice a rotated secret. Not a manifest field.
   */
  valueHash?: string;
}

export type RestartPolicy = "no" | "always" | "on-failure" | "unless-stopped";
export const RESTART_POLICIES: readonly RestartPolicy[] = ["no", "always", "on-failure", "unless-stopped"];

/**
 * When plan asks the registry what an image tag names (Kubernetes spelling). `IfNotPresent`: an
 * image kuke pulled from a registry is looked up there again (a moved tag shows in the plan; an
 * unreachable registry is a warning and the local image is used), an image staged with
 * `kuke image load` is used as it is, a missing one is resolved remotely. `Always`: the registry
 * must answer. `Never`: only the local image, a missing one is a plan error.
 */
export type ImagePullPolicy = "IfNotPresent" | "Always" | "Never";
export const IMAGE_PULL_POLICIES: readonly ImagePullPolicy[] = ["IfNotPresent", "Always", "Never"];

/** Container fields a space may default (DESIGN §2 `defaults.container`). */
export interface ContainerDefaults {
  user?: string;
  readOnlyRootFilesystem?: boolean;
  capabilities?: Capabilities;
  securityOpts?: string[];
  tmpfs?: TmpfsMount[];
  resources?: Resources;
  /** Size at which the container's log is rotated (one previous file kept). @default 10 MiB */
  logMaxBytes?: number;
}

export interface SpaceSpec {
  network: { egress?: EgressPolicy };
  defaults: { container?: ContainerDefaults };
}

/** A container as written in a manifest: unset fields are undefined. */
export interface ContainerInput {
  id: string;
  root?: boolean;
  image?: string;
  command?: string;
  args?: string[];
  workingDir?: string;
  env?: string[];
  volumes?: VolumeMount[];
  privileged?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  user?: string;
  readOnlyRootFilesystem?: boolean;
  capabilities?: Capabilities;
  securityOpts?: string[];
  tmpfs?: TmpfsMount[];
  resources?: Resources;
  secrets?: SecretRef[];
  restartPolicy?: RestartPolicy;
  /** @default "IfNotPresent" */
  imagePullPolicy?: ImagePullPolicy;
  /** Size at which the container's log is rotated (one previous file kept). @default 10 MiB */
  logMaxBytes?: number;
  /** Published ports, docker's short syntax `[ip:]hostPort:containerPort[/tcp|udp]` (see ports.ts). */
  ports?: string[];
  lifecycle?: Lifecycle;
}

/** A container after normalization: every field present (optional ones only when meaningful). */
export interface ContainerSpec {
  id: string;
  root: boolean;
  /** True when kuke made this container up (the cell declared no root). */
  synthesized: boolean;
  image: string;
  /** Overrides the image's entrypoint when set. */
  command?: string;
  /** Overrides the image's cmd when non-empty. */
  args: string[];
  workingDir?: string;
  env: string[];
  volumes: VolumeMount[];
  privileged: boolean;
  hostNetwork: boolean;
  hostPID: boolean;
  user?: string;
  readOnlyRootFilesystem: boolean;
  capabilities: Capabilities;
  securityOpts: string[];
  tmpfs: TmpfsMount[];
  resources: Resources;
  secrets: SecretRef[];
  restartPolicy: RestartPolicy;
  /** Only when the manifest set it (absent means `IfNotPresent`), so older spec hashes hold. */
  imagePullPolicy?: ImagePullPolicy;
  /**
   * `sha256:<hex>` digest `image` resolved to when planning (the registry's manifest or index
   * digest, or the local image record's target), so a moved tag is a changed field and apply runs
   * exactly what the plan showed. Not a manifest field; absent when nothing was resolved
   * (`--refresh=false`, the pause image, containers recorded before kuke kept digests).
   */
  imageDigest?: string;
  /**
   * Published ports in canonical form (`[ip:]host:container/proto`), only when there are any (so
   * containers without ports keep the spec hash they had before the field existed).
   */
  ports?: string[];
  /**
   * Size at which the container's log is rotated, only when set (here or on the space's defaults),
   * so containers without it keep the spec hash they had before the field existed.
   */
  logMaxBytes?: number;
  /** Not part of the container's spec view (nor its spec hash): plans and records keep it beside it. */
  lifecycle?: Lifecycle;
}

export interface CellInput {
  rootContainerId?: string;
  containers: ContainerInput[];
}

export interface CellSpec {
  /** Always set after normalization: the id of the root container. */
  rootContainerId: string;
  /** Root container first, then the others in manifest order. */
  containers: ContainerSpec[];
}

interface Named {
  name: string;
  labels: Record<string, string>;
  /** Written as `spec.lifecycle` in a manifest; kept out of the spec (and its hash). */
  lifecycle?: Lifecycle;
}

export interface Realm extends Named {
  kind: "realm";
  spec: RealmSpec;
}
export interface Space extends Named {
  kind: "space";
  realm: string;
  spec: SpaceSpec;
}
export interface Stack extends Named {
  kind: "stack";
  realm: string;
  space: string;
  spec: Record<string, never>;
}
export interface Cell extends Named {
  kind: "cell";
  realm: string;
  space: string;
  stack: string;
  spec: CellSpec;
}
/**
 * A top-level `Container` document whose cell is *not* declared in the same files (it joins a cell
 * that exists on the host). Containers of declared cells are folded into the cell's spec instead.
 */
export interface LooseContainer {
  kind: "container";
  realm: string;
  space: string;
  stack: string;
  cell: string;
  name: string;
  labels: Record<string, string>;
  spec: ContainerInput;
}

export type Resource = Realm | Space | Stack | Cell;

/** The effective desired state of a set of manifests: what the planner compares with the host. */
export interface DesiredState {
  realms: Realm[];
  spaces: Space[];
  stacks: Stack[];
  cells: Cell[];
  looseContainers: LooseContainer[];
}
