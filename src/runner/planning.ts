/**
 * The part of plan, apply, destroy and graph that is the same for all four: turning flags into
 * planner options, reading the actual state (refreshed from the host, or empty), planning, and
 * the notes kuke adds to a plan about the host (an interrupted apply).
 */
import type { Host } from "../engine/host.js";
import {
  type ActualState,
  type Address,
  actualState,
  type DesiredState,
  type ImageDigest,
  type ImagePullPolicy,
  KukeError,
  networkName,
  type Resources,
  tryParseAddress,
} from "../model/index.js";
import { type Plan, plan } from "../planner/index.js";
import { refresh, refreshScopeOf } from "../refresh/index.js";
import { type JournalStore, lazySecretDigester, touchedBy } from "../state/index.js";
import { hostImageLookup, prefetchImageListings, resolveImageDigests } from "./image-digests.js";
import { defaultProject } from "./project.js";
import { credentialDigests, secretDigests } from "./secret-hashes.js";

/** What a user asks of a plan (the flags of `kuke plan`/`apply`/`destroy`). */
export interface PlanRequest {
  /** Owner recorded for what is applied. @default defaultProject(desired) */
  project?: string;
  /** @default false */
  prune?: boolean;
  /** Address strings (`cell/r/s/t/c`). @default [] */
  targets?: string[];
  /** Address strings to force-replace. @default [] */
  replace?: string[];
  /** @default false */
  destroy?: boolean;
  /**
   * Read the host first. When false nothing is read at all — not even kuke's records — and the
   * plan is made against an empty host (what applying to a fresh host would do). @default true
   */
  refresh?: boolean;
  /** `--pull`: the pull policy of every container, overriding their `imagePullPolicy`. */
  pull?: ImagePullPolicy;
}

/**
 * How refresh finds the images' digests for `request`: a destroy needs none (nothing is pulled;
 * containers keep what they recorded), so no registry is asked for it.
 */
export function imageOptionsFor(request: PlanRequest): ImageOptions {
  if (request.destroy === true) return { fixed: {} };
  return request.pull !== undefined ? { pull: request.pull } : {};
}

/** How refresh finds the images' digests. */
export interface ImageOptions {
  /** Overrides every container's pull policy (`--pull`). */
  pull?: ImagePullPolicy;
  /** Digests already resolved (a saved plan's): used as they are, nothing is asked. */
  fixed?: Record<string, ImageDigest>;
}

/** Parses `--target`/`--replace` values. @throws KukeError `usage` naming the flag and the problem. */
export function parseAddressFlags(flag: string, values: readonly string[]): Address[] {
  return values.map((v) => {
    const r = tryParseAddress(v);
    if (!r.ok) {
      throw new KukeError("usage", `${flag} '${v}' is not an address: ${r.problem}`, {
        remedy: `pass an address such as ${flag} cell/<realm>/<space>/<stack>/<cell>`,
      });
    }
    return r.address;
  });
}

/** The actual state of a host with nothing on it. */
export function emptyActual(): ActualState {
  return actualState({
    records: {},
    namespaces: {},
    cgroups: [],
    networks: {},
    netnsPinned: [],
    attachments: {},
    egressChains: [],
  });
}

/**
 * Reads the host for `desired`: the realms' namespaces and the declared cgroups, all records, and
 * the digests of the desired containers' secret sources (files and environment variables are
 * host state too; a rotated secret must show in the plan). No secret value is kept.
 * @param env where `fromEnv` secrets are read; pass what the engine will read at apply time.
 */
export async function refreshFor(
  host: Host,
  desired: DesiredState,
  onWarning?: (e: KukeError) => void,
  env: Readonly<Record<string, string | undefined>> = process.env,
  images: ImageOptions = {},
): Promise<ActualState> {
  const digester = lazySecretDigester(host.runPath);
  // The realms' image listings go out with refresh's containerd calls, not one round trip later.
  const lookup = prefetchImageListings(
    hostImageLookup(host.containerd),
    images.fixed === undefined ? desired.realms.map((r) => r.spec.namespace) : [],
  );
  const [actual, digests, credentials] = await Promise.all([
    refresh(host, { ...refreshScopeOf(desired), ...(onWarning ? { onWarning } : {}) }),
    secretDigests(desired, env, digester),
    credentialDigests(desired, digester),
  ]);
  // The pool is read (records and the host's addresses and routes) only when a space needs a /24.
  const needsSubnet = desired.spaces.some((s) => actual.networks[networkName(s.realm, s.name)]?.subnet === undefined);
  const [subnetPool, imageDigests, cniPlugins, cgroupControllers] = await Promise.all([
    needsSubnet ? host.inventory.subnetPool?.() : undefined,
    images.fixed ?? resolveImageDigests(desired, actual, lookup, images.pull),
    // Preflight facts, each read only when the files have something that needs it.
    usesNetwork(desired) ? host.inventory.cniPlugins?.() : undefined,
    setsLimits(desired)
      ? host.cgroups.controllers().then((available) => ({ version: host.cgroups.version, available }))
      : undefined,
  ]);
  return {
    ...actual,
    secretDigests: digests,
    credentialDigests: credentials,
    imageDigests,
    ...(subnetPool !== undefined ? { subnetPool } : {}),
    ...(cniPlugins !== undefined ? { cniPlugins } : {}),
    ...(cgroupControllers !== undefined ? { cgroupControllers } : {}),
  };
}

/** Spaces get a bridge network and cells (not on the host's network) an attachment. */
function usesNetwork(desired: DesiredState): boolean {
  return desired.spaces.length > 0 || desired.cells.some((c) => !c.spec.containers.some((k) => k.hostNetwork));
}

/** Some container (space defaults included) sets a cgroup limit. */
function setsLimits(desired: DesiredState): boolean {
  const any = (r: Resources | undefined) => r !== undefined && Object.values(r).some((v) => v !== undefined);
  return (
    desired.cells.some((c) => c.spec.containers.some((k) => any(k.resources))) ||
    desired.looseContainers.some((l) => any(l.spec.resources)) ||
    desired.spaces.some((s) => any(s.spec.defaults.container?.resources))
  );
}

/** Plans `desired` against `actual` as `request` says; `now` stamps the plan. */
export function planFor(desired: DesiredState, actual: ActualState, request: PlanRequest, now = new Date()): Plan {
  return plan(desired, actual, {
    project: request.project ?? defaultProject(desired),
    prune: request.prune ?? false,
    targets: parseAddressFlags("--target", request.targets ?? []),
    replace: parseAddressFlags("--replace", request.replace ?? []),
    destroy: request.destroy ?? false,
    refresh: request.refresh ?? true,
    now: now.toISOString(),
  });
}

/**
 * Adds a warning to `plan` when the last apply on this run path was interrupted (killed, or
 * cancelled before it could finish its journal), so the user knows why the plan repairs things.
 */
export async function noteInterruptedApply(plan: Plan, journal: JournalStore): Promise<void> {
  const last = await journal.lastUnfinished();
  if (last === undefined) return;
  markInterruptedWork(plan, touchedBy(last));
  const ended = new Set(last.steps.filter((s) => s.event === "end").map((s) => s.step));
  const done = last.steps.filter((s) => s.event === "end" && s.status === "succeeded").length;
  const running = last.steps.filter((s) => s.event === "start" && !ended.has(s.step)).map((s) => s.address);
  const shown = last.addresses.slice(0, 5).join(", ") + (last.addresses.length > 5 ? ", …" : "");
  plan.errors.push({
    severity: "warning",
    code: "cancelled",
    summary: `the last apply (${last.applyId}, started ${new Date(last.startedAt).toISOString()}) was interrupted`,
    detail: [
      last.steps.length === 0
        ? `It had started no step${last.addresses.length > 0 ? `; it was to work on ${last.addresses.length} address(es): ${shown}` : ""}.`
        : `${done} step(s) had completed.`,
      ...(running.length > 0 ? [`Running when it stopped: ${[...new Set(running)].join(", ")}`] : []),
      ...(last.inherited.length > 0
        ? [`It was repairing what an earlier interrupted apply left (${last.inherited.length} address(es)).`]
        : []),
      "This plan was made from a fresh look at the host and repairs what it left.",
    ].join("\n"),
  });
}

/**
 * Drift on an address the interrupted apply worked on (or inside of: a cell whose containers it
 * was making) is that apply's half-done work, not a change made outside kuke: the item is marked,
 * and its text and the change's reason say so.
 */
export function markInterruptedWork(plan: Plan, touched: ReadonlySet<string>): void {
  const touchedInside = (address: string) => touched.has(address) || [...touched].some((t) => insideOf(t, address));
  const retexted = new Map<string, string>();
  for (const d of plan.drift) {
    if (d.kind === "stopped-by-kuke" || !touchedInside(d.address)) continue;
    const before = d.text;
    d.interrupted = true;
    if (d.kind !== "left-behind") d.text = `${d.text.replace(/ outside kuke$/, "")} (left by an interrupted apply)`;
    retexted.set(`${d.address}\n${before}`, d.text);
  }
  for (const ch of plan.changes) {
    const reason = ch.reason;
    if (reason === undefined || !reason.text.startsWith("drift: ")) continue;
    const text = retexted.get(`${ch.address}\n${reason.text.slice("drift: ".length)}`);
    if (text !== undefined) reason.text = `drift: ${text}`;
  }
}

/** `inner` is an address below `outer` (`container/r/s/t/c/k` is inside `cell/r/s/t/c`). */
function insideOf(inner: string, outer: string): boolean {
  const path = (a: string) => a.slice(a.indexOf("/") + 1);
  return path(inner).startsWith(`${path(outer)}/`);
}
