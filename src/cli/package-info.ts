import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * kuke's own package.json, found by walking up from this module: the same code runs from `src/`
 * through tsc's `dist/src/` and from an installed package.
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "kuke" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // No (readable) package.json at this level: keep walking up.
    }
    const up = dirname(dir);
    if (up === dir) return "unknown";
    dir = up;
  }
}
