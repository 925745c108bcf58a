import { Document, isMap, isScalar } from "yaml";
import type { ExportedObject } from "./types.js";

/**
 * Exported objects → YAML text: one document per object, each opened by a comment naming the kuke
 * resource it comes from, with the objects' own comments (what to fill into a Secret) beside their
 * keys. Key order is the order the exporter built, so the text is deterministic.
 */

function toDocument(e: ExportedObject): Document {
  const doc = new Document(e.object);
  if (doc.contents !== null) doc.contents.commentBefore = ` kuke: ${e.source}`;
  for (const { path, text } of e.comments ?? []) {
    const parent = doc.getIn(path.slice(0, -1), true);
    if (!isMap(parent)) continue;
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path.at(-1));
    if (pair !== undefined && isScalar(pair.key)) pair.key.commentBefore = text;
  }
  return doc;
}

/** One YAML document of `e`, with its comments. */
export function renderObject(e: ExportedObject): string {
  return toDocument(e).toString({ lineWidth: 0 });
}

/** Every object as one multi-document YAML text (what `kuke export` prints without `-o`). */
export function renderAll(objects: readonly ExportedObject[]): string {
  return objects.map((e) => `---\n${renderObject(e)}`).join("");
}

/**
 * The file an object goes to under `-o DIR`: its place in the export order first, so applying the
 * files in name order creates namespaces before what they hold.
 */
export function objectFileName(e: ExportedObject, index: number): string {
  const { kind, metadata } = e.object;
  const ns = metadata.namespace !== undefined ? `${metadata.namespace}.` : "";
  return `${String(index + 1).padStart(3, "0")}-${kind.toLowerCase()}-${ns}${metadata.name}.yaml`;
}
