/**
 * The validated-manifest cache: `loadManifests` is a pure function of the sources (each file's name
 * as written and its text) and of the code that loads them, so its result can be kept and served
 * again. A repeated `kuke plan` of unchanged files then skips the YAML parse, the validation and
 * even loading the `yaml` package, which were most of a no-op plan's own work (issue 13).
 *
 * Never stale: an entry is found by the sha256 of everything the result depends on —
 * the sources, the Node version, and the code identity: the content of every module
 * `manifest/load.js` imports, followed through relative imports, plus the `package.json` of each
 * package it imports (`yaml`'s version) — and holds that key again, checked on reading. Any edit
 * to a manifest, to kuke's loader or a rule it calls, or to the `yaml` version is a miss.
 *
 * What is kept: only results without errors (warnings included, so they print the same), only
 * when `v8.deserialize(v8.serialize(result))` is deep-equal to the result (a value the format
 * cannot carry would never come back different), and never a manifest with registry logins (their
 * passwords are kept nowhere on disk; records and saved plans hold only digests). Files are 0600
 * in `<runPath>/cache/manifests`, written only under a run path that already exists; at most
 * `MAX_ENTRIES` are kept, the oldest removed first. A missing, unreadable or corrupt entry is a
 * miss; a failed write is ignored (the cache is never needed for a right answer).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { deserialize, serialize } from "node:v8";
import { DIR_MODE, FILE_MODE, isTempName, removeAbandonedTemp, tempPathFor } from "../fs/atomic-file.js";
import type { LoadResult, ManifestSource } from "../manifest/index.js";
import { runPathLayout } from "../state/run-path.js";

/** Bumped when the entry format changes. */
const FORMAT = "kuke-manifest-cache-1";

/** Entries kept per run path; more distinct manifests than this re-parse the oldest. */
export const MAX_ENTRIES = 32;

const ENTRY_SUFFIX = ".v8";

/** The loader module whose import closure is the code identity. */
const LOADER_URL = new URL("../manifest/load.js", import.meta.url);

interface Entry {
  key: string;
  result: LoadResult;
}

export interface ManifestCacheOptions {
  /** The run path whose `cache/manifests` holds the entries. */
  runPath: string;
  /**
   * The code identity to key with. @default the hash of `manifest/load.js`'s import closure
   * (`loaderIdentity()`); tests pass another to see a changed loader miss.
   */
  identity?: string;
}

/** Where a load came from, for tests and benchmarks. */
export type CacheOutcome = "hit" | "miss-stored" | "miss-not-stored";

/**
 * `loadManifests(sources)`, served from the cache when the same sources were loaded by the same
 * code before. The loader (and with it the `yaml` package) is imported only on a miss.
 */
export async function loadManifestsCached(
  sources: readonly ManifestSource[],
  o: ManifestCacheOptions,
): Promise<{ load: LoadResult; outcome: CacheOutcome }> {
  const dir = runPathLayout(o.runPath).manifestCache;
  const key = entryKey(sources, o.identity ?? loaderIdentity());
  const file = join(dir, `${key}${ENTRY_SUFFIX}`);
  const cached = await readEntry(file, key);
  if (cached !== undefined) return { load: cached, outcome: "hit" };
  const { loadManifests } = await import("../manifest/load.js");
  const load = loadManifests(sources);
  const stored = cacheable(load) && (await writeEntry(o.runPath, dir, file, { key, result: load }));
  return { load, outcome: stored ? "miss-stored" : "miss-not-stored" };
}

function entryKey(sources: readonly ManifestSource[], identity: string): string {
  const h = createHash("sha256").update(`${FORMAT}\0${process.version}\0${identity}\0${sources.length}\0`);
  // Lengths first, so no two different source lists hash the same bytes.
  for (const s of sources) h.update(`${s.file.length}:${s.file}\0${s.text.length}:`).update(s.text).update("\0");
  return h.digest("hex");
}

function cacheable(load: LoadResult): boolean {
  return load.errorCount === 0 && !load.state.realms.some((r) => r.spec.registryCredentials.length > 0);
}

async function readEntry(file: string, key: string): Promise<LoadResult | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return undefined;
  }
  try {
    const entry = deserialize(bytes) as Partial<Entry> | null;
    return entry?.key === key && entry.result !== undefined ? entry.result : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `entry` (temporary file + rename); false when it could not or must not be kept. */
async function writeEntry(runPath: string, dir: string, file: string, entry: Entry): Promise<boolean> {
  const bytes = serialize(entry);
  if (!isDeepStrictEqual((deserialize(bytes) as Entry).result, entry.result)) return false;
  try {
    // Never create the run path itself: a plan on a host kuke never ran on leaves nothing behind.
    if (!(await stat(runPath)).isDirectory()) return false;
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const tmp = tempPathFor(file);
    try {
      // No fsync: a torn entry after a crash fails its key check and is a miss.
      await writeFile(tmp, bytes, { mode: FILE_MODE, flag: "wx" });
      await rename(tmp, file);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await prune(dir, file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the oldest entries beyond `MAX_ENTRIES` (never `keep`, the one just written) and the
 * temporary files of writers that died.
 */
async function prune(dir: string, keep: string): Promise<void> {
  const all = await readdir(dir);
  await Promise.all(all.filter(isTempName).map((n) => removeAbandonedTemp(dir, n).catch(() => false)));
  const names = all.filter((n) => n.endsWith(ENTRY_SUFFIX) && !isTempName(n));
  if (names.length <= MAX_ENTRIES) return;
  const dated = await Promise.all(
    names.map(async (n) => ({ path: join(dir, n), mtime: (await stat(join(dir, n)).catch(() => undefined))?.mtimeMs })),
  );
  const old = dated
    .filter((d) => d.path !== keep)
    .sort((a, b) => (a.mtime ?? 0) - (b.mtime ?? 0))
    .slice(0, names.length - MAX_ENTRIES);
  await Promise.all(old.map((d) => unlink(d.path).catch(() => undefined)));
}

let identity: string | undefined;

/**
 * Set by the bundler (`scripts/bundle.js`, esbuild's `define`) in the one-file bundle the `bin`
 * runs, where `manifest/load.js` is no file of its own: the same closure hash, taken over the tree
 * the bundle was made from. Undeclared (typeof "undefined") when kuke runs from tsc's tree.
 */
declare const KUKE_BUNDLED_LOADER_IDENTITY: string | undefined;

/**
 * The code identity of the loader: sha256 over the content of `manifest/load.js` and every module it
 * imports, followed through relative imports (static and dynamic), and over the `package.json`
 * of every package among them. Computed once per process, or at bundling time for the bundle.
 */
export function loaderIdentity(): string {
  identity ??=
    typeof KUKE_BUNDLED_LOADER_IDENTITY === "string" ? KUKE_BUNDLED_LOADER_IDENTITY : importClosureHash(LOADER_URL);
  return identity;
}

/** Static imports and re-exports as tsc writes them (at a line start). */
const STATIC_IMPORTS = [/^(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"/gm, /^import\s*"([^"]+)"/gm];
/** `import("…")` with a literal specifier. */
const DYNAMIC_IMPORT = /\bimport\(\s*"([^"]+)"\s*\)/g;

/** The modules `root` reaches through relative imports (by URL) and the packages it imports (by name), with their text. */
export interface ImportClosure {
  modules: Map<string, string>;
  /** Each package's `package.json` text. */
  packages: Map<string, string>;
}

/**
 * The import closure of `root` (see `loaderIdentity`); with `dynamic: false`, only what loading
 * `root` loads at once (static imports). Reads are synchronous: a few dozen small files, faster so
 * than through the thread pool.
 */
export function importClosure(root: URL, { dynamic = true }: { dynamic?: boolean } = {}): ImportClosure {
  const patterns = dynamic ? [...STATIC_IMPORTS, DYNAMIC_IMPORT] : STATIC_IMPORTS;
  const modules = new Map<string, string>();
  const packages = new Map<string, string>();
  const queue = [root.href];
  for (let href = queue.pop(); href !== undefined; href = queue.pop()) {
    if (modules.has(href)) continue;
    let text: string;
    try {
      text = readFileSync(fileURLToPath(href), "utf8");
    } catch {
      // A module that cannot be read still counts (as missing): the identity never fails.
      text = `missing:${href}`;
    }
    modules.set(href, text);
    for (const re of patterns) {
      for (const m of text.matchAll(re)) {
        const spec = m[1] as string;
        if (spec.startsWith("node:")) continue;
        if (spec.startsWith(".")) queue.push(new URL(spec, href).href);
        else {
          const name = packageName(spec);
          if (!packages.has(name)) packages.set(name, packageManifest(name, href));
        }
      }
    }
  }
  return { modules, packages };
}

/** sha256 over an import closure's texts. */
export function importClosureHash(root: URL): string {
  const { modules, packages } = importClosure(root);
  const h = createHash("sha256");
  // Sorted by content, not path: the same code installed elsewhere has the same identity.
  for (const text of [...modules.values(), ...packages.values()].sort()) h.update(`${text.length}:`).update(text);
  return h.digest("hex");
}

function packageName(spec: string): string {
  return spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] as string);
}

/** The `package.json` text of package `name` as Node finds it from `from` (its version, mostly). */
function packageManifest(name: string, from: string): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const candidate = join(dir, "node_modules", name, "package.json");
    try {
      return readFileSync(candidate, "utf8");
    } catch {
      const up = dirname(dir);
      if (up === dir) return `unresolved:${name}`;
      dir = up;
    }
  }
}
