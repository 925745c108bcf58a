import { resolve } from "node:path";
import type { LoadResult, ManifestSource } from "../manifest/index.js";
import { readManifestSources, STDIN_NAME } from "../manifest/sources.js";
import { type DesiredState, KukeError } from "../model/index.js";
import { loadManifestsCached, type ManifestCacheOptions } from "./manifest-cache.js";
import { type PlanSource, sourceDigest } from "./saved-plan.js";

/** Manifests as read and validated, with what a saved plan records about them. */
export interface LoadedManifests {
  load: LoadResult;
  sources: ManifestSource[];
}

/**
 * Reads `files` (`-` is `stdin`) and validates them; never throws for invalid content. With
 * `cache`, an unchanged set of files is served from the run path's manifest cache
 * (`manifest-cache.ts`). The loader and the `yaml` package are imported only when files are parsed.
 */
export async function readManifests(
  files: readonly string[],
  stdin: NodeJS.ReadableStream,
  cache?: ManifestCacheOptions,
): Promise<LoadedManifests> {
  const sources = await readManifestSources(files, stdin);
  if (cache !== undefined) return { load: (await loadManifestsCached(sources, cache)).load, sources };
  const { loadManifests } = await import("../manifest/load.js");
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
