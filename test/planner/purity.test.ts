import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";

/** Compiled to dist/test/planner/, so the repository root is three levels up. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const ALLOWED_DIRS = [join(ROOT, "src/planner"), join(ROOT, "src/model")];
const ALLOWED_MODULES = new Set(["node:crypto"]);

const IMPORT =
  /(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g;

function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT)) out.push((m[1] ?? m[2] ?? m[3]) as string);
  return out;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Follows relative imports from every planner file; returns each import that leaves the allowed set. */
function violations(): string[] {
  const seen = new Set<string>();
  const bad: string[] = [];
  const queue = tsFiles(join(ROOT, "src/planner"));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of specifiers(readFileSync(file, "utf8"))) {
      const where = relative(ROOT, file);
      if (!spec.startsWith(".")) {
        if (!ALLOWED_MODULES.has(spec)) bad.push(`${where} imports ${spec}`);
        continue;
      }
      const target = resolve(dirname(file), spec).replace(/\.js$/, ".ts");
      if (!ALLOWED_DIRS.some((d) => target.startsWith(`${d}/`))) {
        bad.push(`${where} imports ${spec}`);
      } else if (existsSync(target)) {
        queue.push(target);
      } else {
        bad.push(`${where} imports ${spec}, which does not resolve`);
      }
    }
  }
  return bad;
}

const t = suite("planner/purity");

t("the planner imports only itself, src/model and node:crypto, transitively", () => {
  assert.equal(violations(), []);
});

t("the import scanner sees every import form", () => {
  const src = [
    'import { a } from "node:fs";',
    'import type { B } from "../executors/containerd/client.js";',
    'export * from "../state/index.js";',
    'const m = await import("@grpc/grpc-js");',
    'import "node:child_process";',
    "import {\n  x,\n  y,\n} from '../cli/main.js';",
  ].join("\n");
  assert.equal(specifiers(src), [
    "node:fs",
    "../executors/containerd/client.js",
    "../state/index.js",
    "@grpc/grpc-js",
    "node:child_process",
    "../cli/main.js",
  ]);
});

t.run();
