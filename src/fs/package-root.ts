import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KukeError } from "../model/errors.js";

/**
 * kuke's own package folder (the one with kuke's `package.json`, `proto/` and `libexec/`), found by
 * walking up from this module. The same code runs from tsc's `dist/src/fs/`, from the one-file
 * bundle the `bin` runs (`dist/kuke.js`), and from an installed package, so no fixed number of `..`
 * fits them all.
 */
export function packageRoot(): PackageInfo {
  found ??= find();
  return found;
}

export interface PackageInfo {
  /** Absolute path of the folder; undefined when no kuke package.json is above this module. */
  dir: string | undefined;
  version: string;
}

let found: PackageInfo | undefined;

function find(): PackageInfo {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "kuke" && typeof pkg.version === "string") return { dir, version: pkg.version };
    } catch {
      // No (readable) package.json at this level: keep walking up.
    }
    if (dirname(dir) === dir) return { dir: undefined, version: "unknown" };
  }
}

/** A path inside kuke's package (`proto/`, `libexec/kuke-log`). */
export function packagePath(relative: string): string {
  const { dir } = packageRoot();
  if (dir === undefined) {
    throw new KukeError("runtime", `kuke's package folder is not found, so neither is its ${relative}`, {
      detail: `no package.json of kuke's above ${fileURLToPath(import.meta.url)}`,
      remedy: "reinstall kuke; run it from its package (the bin, dist/kuke.js), not from a copied file",
    });
  }
  return join(dir, relative);
}
