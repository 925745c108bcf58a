/**
 * Resource views: the one shape the planner diffs, records store and plans show. Desired resources
 * are turned into views here; records already hold views (written from the plan's `record.write`).
 * Sensitive leaves hold a digest in views and records, and a marker in plans.
 */
import {
  type ActualState,
  type Address,
  type Cell,
  type ContainerSpec,
  cellAddress,
  containerAddress,
  type DesiredState,
  formatAddress,
  type ImageDigest,
  type JsonValue,
  type Lifecycle,
  normalizeContainer,
  type ResourceKind,
  type ResourceView,
  realmAddress,
  type SecretDigest,
  spaceAddress,
  specHash,
  stackAddress,
} from "../model/index.js";
import { isSensitive, mayHoldSensitive } from "./field-effects.js";
import { applyIgnoreChanges } from "./ignore-changes.js";
import { mapLeaves } from "./value-diff.js";

/** What plans show instead of a sensitive value. */
export const SENSITIVE_MARKER = "(sensitive value)";

function json(value: unknown): { [key: string]: JsonValue } {
  return JSON.parse(JSON.stringify(value)) as { [key: string]: JsonValue };
}

/**
 * What a view holds for a sensitive value whose keyed digest was not read (planned without the
 * host): never an unkeyed hash, which a reader could use to guess a short value back.
 */
export const SENSITIVE_UNREAD = "(not read)";

/**
 * Replaces the realm's registry passwords by their keyed digests (read with the host, in
 * `digests`, in credential order), the form records and diffs use; `SENSITIVE_UNREAD` without them.
 */
function digestCredentials(
  spec: { [key: string]: JsonValue },
  digests: string[] | undefined,
): { [key: string]: JsonValue } {
  return mapLeaves(spec, (path, leaf) => {
    if (!isSensitive("realm", `spec.${path}`)) return leaf;
    const i = Number(/^registryCredentials\[(\d+)\]/.exec(path)?.[1]);
    return digests?.[i] ?? SENSITIVE_UNREAD;
  }) as { [key: string]: JsonValue };
}

/** A view as a plan may show it: sensitive leaves masked, and their paths. */
export function maskView(
  kind: ResourceKind,
  view: ResourceView | null,
): { view: ResourceView | null; paths: string[] } {
  if (view === null || !mayHoldSensitive(kind, view.spec)) return { view, paths: [] };
  const paths: string[] = [];
  const spec = mapLeaves(view.spec, (path, leaf) => {
    if (!isSensitive(kind, `spec.${path}`)) return leaf;
    paths.push(`spec.${path}`);
    return SENSITIVE_MARKER;
  }) as { [key: string]: JsonValue };
  return { view: { ...view, spec }, paths };
}

/** `view` with the resource's lifecycle block beside its spec (never inside: it is not hashed). */
function withLifecycle(view: ResourceView, lifecycle: Lifecycle | undefined): ResourceView {
  return lifecycle !== undefined ? { ...view, lifecycle: json(lifecycle) as Lifecycle } : view;
}

export function containerView(spec: ContainerSpec, labels: Record<string, string> = {}): ResourceView {
  const { lifecycle, ...rest } = spec;
  return withLifecycle({ labels: { ...labels }, spec: json(rest) }, lifecycle);
}

/** A cell's own view lists its containers by id; each container is a resource of its own. */
export function cellView(cell: Cell): ResourceView {
  const ports = cellPorts(cell);
  const view: ResourceView = {
    labels: { ...cell.labels },
    spec: {
      rootContainerId: cell.spec.rootContainerId,
      containers: cell.spec.containers.map((c) => c.id),
      // What the cell publishes (its containers' ports): a cell-level fact, moved by `cni.ports`.
      ...(ports.length > 0 ? { ports } : {}),
    },
  };
  return withLifecycle(view, cell.lifecycle);
}

/** The ports a cell's containers publish, canonical, in declaration order, each once. */
export function cellPorts(cell: Cell): string[] {
  return [...new Set(cell.spec.containers.flatMap((k) => k.ports ?? []))];
}

/**
 * The spec with each secret's `valueHash` as its source held it when planning read it, so a
 * rotated secret is a changed field. Without digests (sources not read) the spec is kept as is.
 */
function withValueHashes(spec: ContainerSpec, digests: Record<string, SecretDigest> | undefined): ContainerSpec {
  if (digests === undefined || spec.secrets.length === 0) return spec;
  const secrets = spec.secrets.map((s) => {
    const d = digests[s.name];
    return d !== undefined && "valueHash" in d ? { ...s, valueHash: d.valueHash } : s;
  });
  return { ...spec, secrets };
}

/**
 * The spec with `imageDigest` set to what the image names now. When plan resolved nothing (or
 * could not), the digest the container recorded for the same image is kept, so an unreachable
 * registry never reads as a change. A container recorded before kuke kept digests stays without
 * one until something else replaces it: its running image is unknown, and a guess would either
 * recreate every such container or claim a digest it does not run.
 */
function withImageDigest(
  spec: ContainerSpec,
  resolved: ImageDigest | undefined,
  recorded: { [key: string]: JsonValue } | undefined,
): ContainerSpec {
  const { imageDigest: _declared, ...rest } = spec;
  const sameImage = recorded !== undefined && recorded.image === spec.image;
  const kept = sameImage && typeof recorded.imageDigest === "string" ? recorded.imageDigest : undefined;
  if (sameImage && kept === undefined) return rest;
  const digest = resolved !== undefined && "digest" in resolved ? resolved.digest : kept;
  return digest !== undefined ? { ...rest, imageDigest: digest } : rest;
}

/** One desired resource, flattened out of the `DesiredState` tree. */
export interface DesiredEntry {
  address: Address;
  key: string;
  kind: ResourceKind;
  view: ResourceView;
  /** Container: the effective spec and its role in the cell. */
  container?: ContainerSpec;
  role?: "root" | "workload";
  /** Cell: true when the cell shares the host's network (no netns pin, no CNI attachment). */
  hostNetwork?: boolean;
  /** Cell: the ports its containers publish (canonical, in declaration order, each once). */
  ports?: string[];
  /** Container: declared as a top-level document joining a cell that exists on the host. */
  loose?: boolean;
  /** Paths `lifecycle.ignoreChanges` kept at their recorded value although the files changed them. */
  ignored?: string[];
}

/**
 * Every desired resource by address string. Loose containers take their defaults from the desired
 * space, or else from the space as recorded on the host.
 */
export function indexDesired(desired: DesiredState, actual: ActualState): Map<string, DesiredEntry> {
  const out = new Map<string, DesiredEntry>();
  const put = (e: Omit<DesiredEntry, "key">) => {
    const key = formatAddress(e.address);
    out.set(key, applyIgnoreChanges({ ...e, key }, actual.records[key]));
  };
  for (const r of desired.realms) {
    put({
      address: realmAddress(r.name),
      kind: "realm",
      view: withLifecycle(
        { labels: { ...r.labels }, spec: digestCredentials(json(r.spec), actual.credentialDigests?.[r.name]) },
        r.lifecycle,
      ),
    });
  }
  const spaceDefaults = new Map<string, DesiredState["spaces"][number]["spec"]["defaults"]["container"]>();
  for (const s of desired.spaces) {
    const address = spaceAddress(s.realm, s.name);
    spaceDefaults.set(formatAddress(address), s.spec.defaults.container);
    put({ address, kind: "space", view: withLifecycle({ labels: { ...s.labels }, spec: json(s.spec) }, s.lifecycle) });
  }
  for (const t of desired.stacks) {
    put({
      address: stackAddress(t.realm, t.space, t.name),
      kind: "stack",
      view: withLifecycle({ labels: { ...t.labels }, spec: {} }, t.lifecycle),
    });
  }
  for (const c of desired.cells) {
    const address = cellAddress(c.realm, c.space, c.stack, c.name);
    const hostNetwork = c.spec.containers.some((k) => k.hostNetwork);
    const ports = cellPorts(c);
    put({ address, kind: "cell", view: cellView(c), hostNetwork, ...(ports.length > 0 ? { ports } : {}) });
    for (const declared of c.spec.containers) {
      const address = containerAddress(c.realm, c.space, c.stack, c.name, declared.id);
      const key = formatAddress(address);
      const k = withImageDigest(
        withValueHashes(declared, actual.secretDigests?.[key]),
        actual.imageDigests?.[key],
        actual.records[key]?.view.spec,
      );
      put({ address, kind: "container", view: containerView(k), container: k, role: k.root ? "root" : "workload" });
    }
  }
  for (const l of desired.looseContainers) {
    const spaceKey = formatAddress(spaceAddress(l.realm, l.space));
    const defaults = spaceDefaults.has(spaceKey)
      ? spaceDefaults.get(spaceKey)
      : (actual.records[spaceKey]?.view.spec.defaults as { container?: never } | undefined)?.container;
    const address = containerAddress(l.realm, l.space, l.stack, l.cell, l.name);
    const key = formatAddress(address);
    const spec = withImageDigest(
      withValueHashes(
        { ...normalizeContainer({ ...l.spec, id: l.name }, defaults), root: false },
        actual.secretDigests?.[key],
      ),
      actual.imageDigests?.[key],
      actual.records[key]?.view.spec,
    );
    put({
      address,
      kind: "container",
      view: containerView(spec, l.labels),
      container: spec,
      role: "workload",
      loose: true,
    });
  }
  return out;
}

/** `specHash` of a view's spec: what records store and containers carry as `kukeon.io/spec-hash`. */
export function viewHash(view: ResourceView): string {
  return specHash(view.spec);
}
