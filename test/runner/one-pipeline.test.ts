/**
 * CONVENTIONS 14, checked: the host changes only through the runner's pipeline. Outside the
 * engine itself, only `src/runner/pipeline.ts` runs steps or takes the run-path lock, only the
 * composition root builds a host, and the CLI renders the runner's reports without the engine.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";

/** Compiled to dist/test/runner/, so the repository root is three levels up. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Files under `src/` (outside `except` folders and files) whose text matches `pattern`. */
function filesMatching(pattern: RegExp, except: string[]): string[] {
  return tsFiles(join(ROOT, "src"))
    .map((f) => relative(ROOT, f))
    .filter((f) => !except.some((e) => f === e || f.startsWith(`${e}/`)))
    .filter((f) => pattern.test(readFileSync(join(ROOT, f), "utf8")))
    .sort();
}

const t = suite("runner/one pipeline");

t("only the pipeline runs steps and takes the run-path lock", () => {
  assert.equal(filesMatching(/\bexecuteSteps\s*\(/, ["src/engine"]), ["src/runner/pipeline.ts"]);
  assert.equal(filesMatching(/\.lock\.acquire\s*\(/, ["src/engine", "src/state"]), ["src/runner/pipeline.ts"]);
});

t("only the composition root builds a host; only the pipeline opens one", () => {
  assert.equal(filesMatching(/\bopenHost\s*\(/, []), ["src/runner/open-host.ts"]);
  assert.equal(filesMatching(/\bopenHostAt\s*\(/, ["src/runner/open-host.ts"]), ["src/runner/pipeline.ts"]);
});

t("the CLI imports nothing from the engine or the graph", () => {
  const cli = filesMatching(/from\s+["'](\.\.\/)+(engine|graph)\//, []).filter((f) => f.startsWith("src/cli/"));
  assert.equal(cli, []);
});

t.run();
