import { LockFile } from "../fs/lock-file.js";
import type { RunPathLayout } from "./run-path.js";

export type { AcquireOptions, LockHandle, LockHolder, StaleLock } from "../fs/lock-file.js";

/** The one lock of a run path, `<run path>/lock`: one kuke changes a run path at a time. */
export class RunLock extends LockFile {
  constructor(layout: RunPathLayout) {
    super(layout.lock, "the run-path lock");
  }
}
