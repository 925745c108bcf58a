import { join } from "node:path";

/** Where kuke keeps its state when nothing else is configured (DESIGN §3). */
export const DEFAULT_RUN_PATH = "/var/lib/kuke";

/** The files and folders inside a run path. Everything in `src/state` derives its paths from here. */
export interface RunPathLayout {
  readonly root: string;
  /** One JSON file per resource address (`records/<kind>/<realm>/…/<name>.json`). */
  readonly records: string;
  /** One `.jsonl` file per apply. */
  readonly journal: string;
  /** The run-path lock file. */
  readonly lock: string;
}

/** The layout under `root`; callers pass `--run-path` / `KUKE_RUN_PATH`, tests a temporary dir. */
export function runPathLayout(root: string = DEFAULT_RUN_PATH): RunPathLayout {
  return { root, records: join(root, "records"), journal: join(root, "journal"), lock: join(root, "lock") };
}
