/**
 * The desired state that says "keep everything as it was applied": built from kuke's records, so
 * an imperative verb can change one resource and plan only that change (DESIGN §1: every verb is a
 * small plan on the same engine).
 */
import {
  type ActualState,
  type Cell,
  type ContainerSpec,
  type DesiredState,
  defaultNamespace,
  type Lifecycle,
  parseAddress,
  type Realm,
  type ResourceRecord,
  type Space,
  type SpaceSpec,
  type Stack,
} from "../model/index.js";
import { sortAddressKeys } from "./address-keys.js";

/**
 * One desired resource per record. Records hold effective views, so the result diffs as "no
 * change" against the records it came from, with two exceptions that follow from what records can
 * hold:
 * - registry passwords are recorded only as digests, so rebuilt realms have no logins (a realm
 *   whose logins matter is updated from its manifest, or with its logins passed in full);
 * - a cell's containers are the container records under it (root first, then the order the cell
 *   recorded), so a container added or removed by an imperative verb counts even before the cell's
 *   own record is rewritten. A cell whose root container has no record is left out: it cannot be
 *   rebuilt from records (purge it, or apply it from its manifest).
 */
export function desiredFromRecords(actual: Pick<ActualState, "records">): DesiredState {
  const out: DesiredState = { realms: [], spaces: [], stacks: [], cells: [], looseContainers: [] };
  const keys = sortAddressKeys(Object.keys(actual.records));
  const containersOf = new Map<string, ResourceRecord[]>();
  for (const key of keys) {
    const r = actual.records[key]!;
    if (r.kind !== "container") continue;
    const cellKey = `cell/${key.split("/").slice(1, -1).join("/")}`;
    containersOf.set(cellKey, [...(containersOf.get(cellKey) ?? []), r]);
  }
  for (const key of keys) {
    const r = actual.records[key]!;
    const a = parseAddress(key);
    const labels = { ...r.view.labels };
    // The lifecycle applied stays: an imperative verb neither drops nor bypasses it.
    const lifecycle = r.view.lifecycle !== undefined ? { lifecycle: clone(r.view.lifecycle) as Lifecycle } : {};
    switch (a.kind) {
      case "realm": {
        const ns = r.view.spec.namespace;
        const realm: Realm = {
          kind: "realm",
          name: a.realm,
          labels,
          ...lifecycle,
          spec: {
            namespace: typeof ns === "string" && ns !== "" ? ns : defaultNamespace(a.realm),
            registryCredentials: [],
          },
        };
        out.realms.push(realm);
        break;
      }
      case "space": {
        const space: Space = {
          kind: "space",
          realm: a.realm,
          name: a.space,
          labels,
          ...lifecycle,
          spec: clone(r.view.spec) as unknown as SpaceSpec,
        };
        out.spaces.push(space);
        break;
      }
      case "stack": {
        const stack: Stack = {
          kind: "stack",
          realm: a.realm,
          space: a.space,
          name: a.stack,
          labels,
          ...lifecycle,
          spec: {},
        };
        out.stacks.push(stack);
        break;
      }
      case "cell": {
        const cell = cellFromRecords(r, containersOf.get(key) ?? []);
        if (cell !== undefined)
          out.cells.push({
            ...cell,
            realm: a.realm,
            space: a.space,
            stack: a.stack,
            name: a.cell,
            labels,
            ...lifecycle,
          });
        break;
      }
      case "container":
        break; // part of its cell
    }
  }
  return out;
}

function cellFromRecords(cell: ResourceRecord, records: ResourceRecord[]): Pick<Cell, "kind" | "spec"> | undefined {
  const rootId = cell.view.spec.rootContainerId;
  const listed = Array.isArray(cell.view.spec.containers) ? (cell.view.spec.containers as string[]) : [];
  const specs = records.map((r) => {
    const spec = clone(r.view.spec) as unknown as ContainerSpec;
    if (r.view.lifecycle !== undefined) spec.lifecycle = clone(r.view.lifecycle) as Lifecycle;
    return spec;
  });
  const root = specs.find((s) => s.id === rootId && s.root);
  if (typeof rootId !== "string" || root === undefined) return undefined;
  const rank = (s: ContainerSpec) => {
    const i = listed.indexOf(s.id);
    return i === -1 ? listed.length : i;
  };
  const others = specs.filter((s) => s !== root).sort((x, y) => rank(x) - rank(y) || x.id.localeCompare(y.id));
  return { kind: "cell", spec: { rootContainerId: rootId, containers: [root, ...others] } };
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
