/**
 * `create`, `ensure` and `update` of any kind: the requested resources are laid over the desired
 * state rebuilt from kuke's records, and the plan is targeted at them, so only what was asked for
 * changes, with the planner's field table deciding how (live, restart, recreate, recreate-cell).
 */
import type { LoadResult } from "../../manifest/index.js";
import {
  type ActualState,
  type Address,
  type CellInput,
  type ContainerInput,
  cellAddress,
  containerAddress,
  type DesiredState,
  formatAddress,
  KukeError,
  normalizeCell,
  normalizeContainer,
  normalizeRealmSpec,
  normalizeSpaceSpec,
  parseAddress,
  type RealmSpec,
  realmAddress,
  type SpaceSpec,
  spaceAddress,
  stackAddress,
} from "../../model/index.js";
import { desiredFromRecords, plan } from "../../planner/index.js";
import { type ChangeResult, nowIso, type PipelineOptions, runChange } from "../pipeline.js";
import { defaultProject } from "../project.js";

/** One resource as an imperative verb names it; unset spec fields take kuke's defaults. */
export type ResourceInput =
  | { kind: "realm"; name: string; labels?: Record<string, string>; spec?: Partial<RealmSpec> }
  | { kind: "space"; realm: string; name: string; labels?: Record<string, string>; spec?: Partial<SpaceSpec> }
  | { kind: "stack"; realm: string; space: string; name: string; labels?: Record<string, string> }
  | {
      kind: "cell";
      realm: string;
      space: string;
      stack: string;
      name: string;
      labels?: Record<string, string>;
      /** @default no containers: the cell holds only its synthesized root */
      spec?: CellInput;
    }
  | {
      kind: "container";
      realm: string;
      space: string;
      stack: string;
      cell: string;
      name: string;
      labels?: Record<string, string>;
      spec: Omit<ContainerInput, "id">;
    };

/** How requested resources meet recorded ones. */
export type ChangeMode =
  /** Every requested resource must be new (`already-exists` otherwise). */
  | "create"
  /** Missing ones are created; recorded ones keep their recorded spec, and drift is repaired. */
  | "ensure"
  /** Every requested resource must be recorded (`not-found` otherwise); its spec becomes the requested one. */
  | "update";

/** The address of a resource input. */
export function addressOfInput(r: ResourceInput): Address {
  switch (r.kind) {
    case "realm":
      return realmAddress(r.name);
    case "space":
      return spaceAddress(r.realm, r.name);
    case "stack":
      return stackAddress(r.realm, r.space, r.name);
    case "cell":
      return cellAddress(r.realm, r.space, r.stack, r.name);
    case "container":
      return containerAddress(r.realm, r.space, r.stack, r.cell, r.name);
  }
}

/**
 * Resource inputs as a desired-state fragment. Cells are normalized with their space's defaults
 * (from the same inputs, else as recorded); containers stay loose until merged into their cell.
 */
export function fragmentOf(inputs: readonly ResourceInput[], actual: Pick<ActualState, "records">): DesiredState {
  const out: DesiredState = { realms: [], spaces: [], stacks: [], cells: [], looseContainers: [] };
  for (const r of inputs) {
    const labels = { ...(r.labels ?? {}) };
    switch (r.kind) {
      case "realm":
        out.realms.push({ kind: "realm", name: r.name, labels, spec: normalizeRealmSpec(r.name, r.spec) });
        break;
      case "space":
        out.spaces.push({ kind: "space", realm: r.realm, name: r.name, labels, spec: normalizeSpaceSpec(r.spec) });
        break;
      case "stack":
        out.stacks.push({ kind: "stack", realm: r.realm, space: r.space, name: r.name, labels, spec: {} });
        break;
      case "cell": {
        const defaults = spaceDefaults(out, actual, r.realm, r.space);
        const spec = normalizeCell(r.spec ?? { containers: [] }, defaults);
        out.cells.push({ kind: "cell", realm: r.realm, space: r.space, stack: r.stack, name: r.name, labels, spec });
        break;
      }
      case "container":
        out.looseContainers.push({
          kind: "container",
          realm: r.realm,
          space: r.space,
          stack: r.stack,
          cell: r.cell,
          name: r.name,
          labels,
          spec: { ...r.spec, id: r.name },
        });
        break;
    }
  }
  return out;
}

function spaceDefaults(desired: DesiredState, actual: Pick<ActualState, "records">, realm: string, space: string) {
  const declared = desired.spaces.find((s) => s.realm === realm && s.name === space);
  if (declared !== undefined) return declared.spec.defaults.container;
  const recorded = actual.records[formatAddress(spaceAddress(realm, space))]?.view.spec.defaults as
    | SpaceSpec["defaults"]
    | undefined;
  return recorded?.container;
}

/** Every top-level address of a fragment (a cell's containers are part of the cell). */
export function fragmentAddresses(f: DesiredState): string[] {
  return [
    ...f.realms.map((r) => realmAddress(r.name)),
    ...f.spaces.map((s) => spaceAddress(s.realm, s.name)),
    ...f.stacks.map((s) => stackAddress(s.realm, s.space, s.name)),
    ...f.cells.map((c) => cellAddress(c.realm, c.space, c.stack, c.name)),
    ...f.looseContainers.map((c) => containerAddress(c.realm, c.space, c.stack, c.cell, c.name)),
  ].map(formatAddress);
}

/**
 * `base` with `fragment` laid over it: same address replaces, new address adds. A loose container
 * joins its cell in `base` (normalized with the space's defaults); one whose cell is unknown stays
 * loose, and the planner reports the missing parent.
 */
export function overlay(base: DesiredState, fragment: DesiredState, keep: ReadonlySet<string>): DesiredState {
  const out: DesiredState = JSON.parse(JSON.stringify(base)) as DesiredState;
  const put = <T>(list: T[], item: T, same: (x: T) => boolean, key: string) => {
    if (keep.has(key)) return;
    const i = list.findIndex(same);
    if (i === -1) list.push(item);
    else list[i] = item;
  };
  for (const r of fragment.realms) put(out.realms, r, (x) => x.name === r.name, formatAddress(realmAddress(r.name)));
  for (const s of fragment.spaces) {
    put(out.spaces, s, (x) => x.realm === s.realm && x.name === s.name, formatAddress(spaceAddress(s.realm, s.name)));
  }
  for (const s of fragment.stacks) {
    const key = formatAddress(stackAddress(s.realm, s.space, s.name));
    put(out.stacks, s, (x) => x.realm === s.realm && x.space === s.space && x.name === s.name, key);
  }
  for (const c of fragment.cells) {
    const key = formatAddress(cellAddress(c.realm, c.space, c.stack, c.name));
    put(
      out.cells,
      c,
      (x) => x.realm === c.realm && x.space === c.space && x.stack === c.stack && x.name === c.name,
      key,
    );
  }
  for (const l of fragment.looseContainers) {
    const key = formatAddress(containerAddress(l.realm, l.space, l.stack, l.cell, l.name));
    if (keep.has(key)) continue;
    const cell = out.cells.find(
      (x) => x.realm === l.realm && x.space === l.space && x.stack === l.stack && x.name === l.cell,
    );
    if (cell === undefined) {
      out.looseContainers.push(l);
      continue;
    }
    const existing = cell.spec.containers.findIndex((k) => k.id === l.name);
    if (existing !== -1 && cell.spec.containers[existing]!.root) {
      throw new KukeError(
        "failed-precondition",
        `${l.name} is the root container of ${formatAddress(cellAddress(l.realm, l.space, l.stack, l.cell))}`,
        {
          remedy: "change a root container through its cell (kuke apply -f FILE with the cell)",
        },
      );
    }
    const defaults = out.spaces.find((s) => s.realm === l.realm && s.name === l.space)?.spec.defaults.container;
    const spec = { ...normalizeContainer({ ...l.spec, id: l.name }, defaults), root: false };
    if (existing === -1) cell.spec.containers.push(spec);
    else cell.spec.containers[existing] = spec;
  }
  return out;
}

export interface ChangeRequest {
  mode: ChangeMode;
  /**
   * The resources, as a desired-state fragment (validated manifests' state), or resource inputs
   * (turned into one with the space defaults recorded when the lock is held).
   */
  fragment: DesiredState | readonly ResourceInput[];
  /** Owner recorded for new resources. @default the realms of the fragment, as `kuke apply` picks it */
  project?: string;
  /** Shown to a kuke waiting for the lock, and kept in the journal. */
  command?: string;
}

/**
 * Creates, ensures or updates the fragment's resources: lock → refresh → records + fragment →
 * plan targeted at the fragment's addresses → engine. Parents must be recorded or in the
 * fragment (`not-found` with the `kuke create` remedy otherwise).
 * @throws KukeError `already-exists` (create), `not-found` (update), the plan's first error, `lock-held`.
 */
export function changeResources(o: PipelineOptions, req: ChangeRequest): Promise<ChangeResult> {
  return runChange(o, req.command ?? `kuke ${req.mode}`, async (s) => {
    const given = Array.isArray(req.fragment) ? undefined : (req.fragment as DesiredState);
    const actual = await s.refresh(given);
    const fragment = given ?? fragmentOf(req.fragment as readonly ResourceInput[], actual);
    const targets = fragmentAddresses(fragment);
    const recorded = targets.filter((k) => actual.records[k] !== undefined);
    if (req.mode === "create" && recorded.length > 0) {
      throw new KukeError("already-exists", `${recorded.join(", ")} already exists`, {
        remedy: "change it with kuke apply -f FILE, or delete it first",
      });
    }
    const missing = targets.filter((k) => actual.records[k] === undefined);
    if (req.mode === "update" && missing.length > 0) {
      throw new KukeError("not-found", `${missing.join(", ")} does not exist`, {
        remedy: "create it first (kuke create …)",
      });
    }
    const keep = new Set(req.mode === "ensure" ? recorded : []);
    const desired = overlay(desiredFromRecords(actual), fragment, keep);
    const owner = recorded.map((k) => actual.records[k]!.project)[0];
    const p = plan(desired, actual, {
      project: req.project ?? owner ?? defaultProject(fragment),
      prune: false,
      targets: targets.map((k) => parseAddress(k)),
      replace: [],
      destroy: false,
      refresh: true,
      now: nowIso(o),
    });
    return { plan: p, desired, actual };
  });
}

/** The fragment of validated manifests (`kuke create -f`), refusing files with errors. */
export function fragmentOfManifests(load: LoadResult): DesiredState {
  if (load.errorCount > 0) {
    throw new KukeError("invalid-spec", `the manifests have ${load.errorCount} error(s)`, {
      remedy: "see kuke validate -f FILE",
    });
  }
  return load.state;
}
