/**
 * Golden files: rendered output compared with a file kept in the repository. `UPDATE_GOLDEN=1`
 * rewrites the file first (test/run.ts refuses it under CI, where a rewrite could not fail).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as assert from "uvu/assert";

/** Asserts that `text` is the content of the golden file `file` (a missing file fails, saying how to make it). */
export function assertGolden(text: string, file: string): void {
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  assert.ok(existsSync(file), `missing golden ${file}; run with UPDATE_GOLDEN=1`);
  assert.fixture(text, readFileSync(file, "utf8"));
}
