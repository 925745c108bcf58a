/**
 * The reading verbs: `kuke get` (states derived from a refresh), `kuke refresh` (what drifted),
 * the Runner's existence checks and `kuke logs`. None takes the lock: records are atomic files.
 */

import { type LogSource, logFilesIn, parseSince, readLogSources } from "../../logs/index.js";
import {
  type ActualState,
  type Address,
  addressPath,
  type CellAddress,
  type ContainerAddress,
  cgroupPath,
  containerAddress,
  formatAddress,
  KukeError,
  networkName,
  recordedNamespace,
} from "../../model/index.js";
import { type DriftItem, desiredFromRecords, type OrphanRemoval, plan } from "../../planner/index.js";
import { containerLogPath, logPathOf, previousLogPath, runPathLayout } from "../../state/index.js";
import { deriveStatus, type StatusReport } from "../../status/index.js";
import { nowIso, type PipelineOptions, readHost, withHost } from "../pipeline.js";

/** The host as refresh sees it and the state of every recorded resource. */
export interface HostStatus {
  actual: ActualState;
  report: StatusReport;
}

/** Refreshes and derives every recorded resource's state (`kuke get`). */
export function hostStatus(o: PipelineOptions): Promise<HostStatus> {
  return withHost(o, async (host) => {
    const actual = await readHost(host, o);
    return { actual, report: deriveStatus(actual, { appliedAt: appliedAtOf(actual) }) };
  });
}

function appliedAtOf(actual: ActualState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, r] of Object.entries(actual.records)) {
    const at = (r as { appliedAt?: unknown }).appliedAt;
    if (typeof at === "string") out[k] = at;
  }
  return out;
}

/** What `kuke refresh` found: everything that differs from what kuke recorded. Changes nothing. */
export interface RefreshResult {
  drift: DriftItem[];
  /** kuke's orphans in the recorded realms' namespaces (what a killed kuke left), which `kuke apply` removes. */
  orphans: OrphanRemoval[];
  /** Records read (resources kuke knows). */
  resources: number;
}

/**
 * Reads the host and reports drift against kuke's records, optionally inside `scope` only. The
 * drift is what `kuke apply` would repair (or leave alone, for tasks `kuke stop` stopped).
 */
export function refreshDrift(o: PipelineOptions, scope?: Address): Promise<RefreshResult> {
  return withHost(o, async (host) => {
    const actual = await readHost(host, o);
    const p = plan(desiredFromRecords(actual), actual, {
      project: "",
      prune: false,
      targets: scope ? [scope] : [],
      replace: [],
      destroy: false,
      refresh: true,
      now: nowIso(o),
    });
    return { drift: p.drift, orphans: p.orphans ?? [], resources: Object.keys(actual.records).length };
  });
}

/** Host existence checks (kukeon's `Exists*`), each from one refresh. */
export interface ExistenceReport {
  /** The resource's cgroup exists. */
  cgroup: boolean;
  /** Realms: the containerd namespace exists. */
  realmNamespace?: boolean;
  /** Spaces: the CNI network config exists. */
  spaceNetworkConfig?: boolean;
  /** Cells: the root container exists in containerd. */
  cellRootContainer?: boolean;
}

export function existence(o: PipelineOptions, target: Address): Promise<ExistenceReport> {
  return withHost(o, async (host) => {
    const cgroup = await host.cgroups.exists(cgroupPath(...addressPath(target)));
    const actual = await readHost(host, o);
    const out: ExistenceReport = { cgroup };
    if (target.kind === "realm")
      out.realmNamespace = actual.namespaces[recordedNamespace(actual, target.realm)] !== undefined;
    if (target.kind === "space") {
      out.spaceNetworkConfig = actual.networks[networkName(target.realm, target.space)]?.conflistPresent === true;
    }
    if (target.kind === "cell") out.cellRootContainer = rootContainerPresent(actual, target);
    return out;
  });
}

function rootContainerPresent(actual: ActualState, cell: CellAddress): boolean {
  const key = formatAddress(cell);
  const rootId = actual.records[key]?.view.spec.rootContainerId;
  const root =
    actual.resources[`container/${key.slice("cell/".length)}/${typeof rootId === "string" ? rootId : "root"}`];
  return root?.container !== undefined && root.container !== null;
}

export interface LogsOptions {
  write: (chunk: Buffer) => void | Promise<void>;
  /** Keep printing what is appended until `signal` aborts. @default false */
  follow?: boolean;
  signal?: AbortSignal;
  /** Only the last N lines of each log. */
  tail?: number;
  /** The previous log (a replaced container's, or the last rotation's) instead of the current one. @default false */
  previous?: boolean;
  /** Each line's time (RFC 3339, UTC) in front of it. @default false */
  timestamps?: boolean;
  /**
   * Only lines written since this: a duration back from now (`10m`, `2h`), a time (RFC 3339) or
   * epoch seconds (`src/logs/since.ts`). A usage error otherwise.
   */
  since?: string;
}

/**
 * `kuke logs ADDR`: a container's captured stdout and stderr, or every container's of a cell with
 * each line prefixed by the container's name. `not-found` with a remedy when there is none.
 */
export async function resourceLogs(
  o: Pick<PipelineOptions, "runPath">,
  address: ContainerAddress | CellAddress,
  l: LogsOptions,
): Promise<void> {
  const sinceMs = l.since !== undefined ? parseSince(l.since, Date.now()) : undefined;
  const logs = runPathLayout(o.runPath).logs;
  const source = (container: ContainerAddress): LogSource => {
    const path = containerLogPath(logs, container);
    return { container, path, previousPath: previousLogPath(path) };
  };
  const sources =
    address.kind === "container"
      ? [source(address)]
      : (await logFilesIn(logPathOf(logs, address))).map((f) =>
          source(containerAddress(address.realm, address.space, address.stack, address.cell, f.container)),
        );
  if (sources.length === 0) {
    throw new KukeError("not-found", `no logs for ${formatAddress(address)}`, {
      address,
      detail: "none of its containers has been started, or the cell was deleted",
      remedy: "kuke get cells, to see which cells exist and run",
    });
  }
  await readLogSources(sources, {
    write: l.write,
    follow: l.follow ?? false,
    previous: l.previous ?? false,
    ...(l.tail !== undefined ? { tail: l.tail } : {}),
    ...(l.signal ? { signal: l.signal } : {}),
    ...(l.timestamps ? { timestamps: true } : {}),
    ...(sinceMs !== undefined ? { sinceMs } : {}),
  });
}
