import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";

/**
 * src/export/README.md: it may import src/model, src/manifest and `yaml`, and only secrets.ts
 * touches the file system. A new import of anything else (an executor, the runner, child
 * processes) fails here.
 */
const t = suite("export/imports");
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DIR = join(ROOT, "src/export");
const IMPORT =
  /(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g;

export function exportImportViolations(files: Record<string, string>): string[] {
  const bad: string[] = [];
  for (const [file, source] of Object.entries(files)) {
    for (const m of source.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2] ?? m[3]) as string;
      if (spec.startsWith(".")) {
        const target = relative(ROOT, resolve(dirname(join(DIR, file)), spec));
        if (!/^src\/(export|model|manifest)\//.test(target)) bad.push(`${file} imports ${target}`);
      } else if (!(spec === "yaml" || (spec === "node:fs" && file === "secrets.ts"))) {
        bad.push(`${file} imports ${spec}`);
      }
    }
  }
  return bad;
}

const sources = Object.fromEntries(
  readdirSync(DIR)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => [f, readFileSync(join(DIR, f), "utf8")]),
);

t("src/export imports only model, manifest, yaml, and node:fs in secrets.ts", () => {
  assert.ok(Object.keys(sources).length >= 8);
  assert.equal(exportImportViolations(sources), []);
});

t("the check sees a forbidden import", () => {
  assert.equal(
    exportImportViolations({
      "pod.ts": 'import { Runner } from "../runner/runner.js";\nimport { readFile } from "node:fs";',
      "render.ts": 'import { execFile } from "node:child_process";',
    }),
    ["pod.ts imports src/runner/runner.js", "pod.ts imports node:fs", "render.ts imports node:child_process"],
  );
});

t.run();
