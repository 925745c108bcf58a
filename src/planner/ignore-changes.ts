/**
 * `lifecycle.ignoreChanges`: once a resource exists, the fields it lists keep the value its record
 * holds, whatever the files say. The desired view is rewritten here, before any rule runs, so the
 * diff, the steps (a container's spec) and the record written afterwards all agree that the field
 * did not change; what the files would have changed is kept as `ignored` for the plan to show.
 */
import {
  type ContainerSpec,
  type JsonValue,
  type ResourceRecord,
  type ResourceView,
  sameValue,
} from "../model/index.js";

/** What this rewrites of a desired entry (`DesiredEntry` of resource-view.ts, which calls this). */
interface Entry {
  kind: string;
  view: ResourceView;
  container?: ContainerSpec;
  ports?: string[];
  ignored?: string[];
}

type Obj = { [key: string]: JsonValue };

/**
 * `entry` with each ignored path set to its recorded value (removed when the record has none).
 * A resource without a record is created as declared: there is nothing to keep yet.
 */
export function applyIgnoreChanges<E extends Entry>(entry: E, record: ResourceRecord | undefined): E {
  const listed = entry.view.lifecycle?.ignoreChanges ?? [];
  if (listed.length === 0 || record === undefined) return entry;
  // The digest is what the reference named when planned: keeping the image keeps its content too.
  const paths = listed.includes("spec.image") ? [...new Set([...listed, "spec.imageDigest"])] : listed;
  const view: ResourceView = structuredClone(entry.view);
  const ignored: string[] = [];
  for (const path of paths) {
    const kept = read(record.view, path);
    if (sameValue(read(view, path) ?? null, kept ?? null)) continue;
    write(view, path, kept);
    ignored.push(path);
  }
  if (ignored.length === 0) return entry;
  const out: E = { ...entry, view, ignored };
  if (entry.container !== undefined) {
    const spec = structuredClone(view.spec) as unknown as ContainerSpec;
    if (entry.container.lifecycle !== undefined) spec.lifecycle = entry.container.lifecycle;
    out.container = spec;
  }
  if (entry.kind === "cell") {
    const ports = view.spec.ports;
    if (Array.isArray(ports) && ports.length > 0) out.ports = ports as string[];
    else delete out.ports;
  }
  return out;
}

/** Splits a path into object keys: a label's key is everything after `labels.` (it may hold dots). */
function keys(path: string): string[] {
  return path.startsWith("labels.") ? ["labels", path.slice("labels.".length)] : path.split(".");
}

function read(view: ResourceView, path: string): JsonValue | undefined {
  let v: JsonValue | undefined = view as unknown as Obj;
  for (const k of keys(path)) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = v[k];
  }
  return v;
}

function write(view: ResourceView, path: string, value: JsonValue | undefined): void {
  const ks = keys(path);
  let o = view as unknown as Obj;
  for (const k of ks.slice(0, -1)) {
    const next = o[k];
    if (next === null || typeof next !== "object" || Array.isArray(next)) {
      if (value === undefined) return;
      o[k] = {};
    }
    o = o[k] as Obj;
  }
  const last = ks.at(-1)!;
  if (value === undefined) delete o[last];
  else o[last] = structuredClone(value);
}
