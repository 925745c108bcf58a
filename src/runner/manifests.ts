import { resolve } from "node:path";
import {
  type LoadResult,
  loadManifests,
  type ManifestSource,
  readManifestSources,
  STDIN_NAME,
} from "../manifest/index.js";
import { type DesiredState, KukeError } from "../model/index.js";
import { type PlanSource, sourceDigest } from "./saved-plan.js";

/** Manifests as read and validated, with what a saved plan records about them. */
export interface LoadedManifests {
  load: LoadResult;
  sources: ManifestSource[];
}

/** Reads `files` (`-` is `stdin`) and validates them; never throws for invalid content. */
export async function readManifests(files: readonly string[], stdin: NodeJS.ReadableStream): Promise<LoadedManifests> {
  const sources = await readManifestSources(files, stdin);
  return { load: loadManifests(sources), sources };
}

/** Each source by absolute path (so a saved plan applies from any directory) and content digest. */
export function planSources(sources: readonly ManifestSource[]): PlanSource[] {
  return sources.map((s) => ({ file: s.file === STDIN_NAME ? s.file : resolve(s.file), sha256: sourceDigest(s.text) }));
}

/**
 * The desired state of `files`, for re-reading a saved plan's manifests at apply time.
 * @throws KukeError `invalid-spec` when they no longer validate.
 */
export async function loadDesiredState(files: readonly string[], stdin: NodeJS.ReadableStream): Promise<DesiredState> {
  if (files.includes(STDIN_NAME)) {
    throw new KukeError("usage", "the plan was made from standard input, which cannot be read again");
  }
  const { load } = await readManifests(files, stdin);
  if (load.errorCount > 0) {
    throw new KukeError("invalid-spec", `the manifests now have ${load.errorCount} error(s)`);
  }
  return load.state;
}
