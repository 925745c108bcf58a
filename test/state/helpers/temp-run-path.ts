import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunPathLayout, runPathLayout } from "../../../src/state/run-path.js";
import { onTeardown } from "../../harness/teardown.js";

/**
 * A fresh temporary run path (the root itself not yet created, as on a new host). Removed by the
 * returned cleanup and, in case a test dies first, at teardown.
 */
export function tempRunPath(label: string): { layout: RunPathLayout; cleanup: () => void } {
  const base = mkdtempSync(join(tmpdir(), `kuke-state-${label}-`));
  const cleanup = () => rmSync(base, { recursive: true, force: true });
  onTeardown(`remove ${base}`, cleanup);
  return { layout: runPathLayout(join(base, "run")), cleanup };
}
