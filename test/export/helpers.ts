import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type ExportOptions, type ExportResult, exportKubernetes, type KubeObject } from "../../src/export/index.js";
import { loadManifests } from "../../src/manifest/index.js";
import { stackHeader } from "../harness/stack-header.js";

export const repo = fileURLToPath(new URL("../../..", import.meta.url));

/** Loads manifest text (must be valid) and exports it. */
export function exportText(text: string, options: ExportOptions = {}): ExportResult {
  const load = loadManifests([{ file: "m.yaml", text }]);
  if (load.errorCount > 0) throw new Error(`invalid test manifest: ${JSON.stringify(load.diagnostics)}`);
  return exportKubernetes(load.state, options);
}

export function exportFile(path: string, options: ExportOptions = {}): ExportResult {
  return exportText(readFileSync(`${repo}/${path}`, "utf8"), options);
}

/** The one object of `kind` named `name`. */
export function find(r: ExportResult, kind: string, name: string): KubeObject {
  const found = r.objects.filter((o) => o.object.kind === kind && o.object.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0]!.object;
}

/** `containers[name]` of a pod. */
export function containerOf(pod: KubeObject, name: string): Record<string, unknown> {
  const spec = pod.spec as { containers: Array<Record<string, unknown>> };
  const c = spec.containers.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no container ${name}`);
  return c;
}

/** A minimal realm/space/stack header for test manifests. */
export const HEADER = stackHeader("r", "s", "t");

export function cellDoc(name: string, containers: string, extra = ""): string {
  return `---
kind: Cell
metadata: {name: ${name}}
spec:
  realmId: r
  spaceId: s
  stackId: t
${extra}  containers:
${containers}`;
}
