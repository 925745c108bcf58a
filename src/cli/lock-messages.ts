/** What kuke says on stderr about the run-path lock of another kuke. */
import type { PipelineOptions } from "../runner/pipeline.js";
import type { OutputStream } from "./output-style.js";

/**
 * The note printed when a lock left by a dead kuke is taken over: whose it was (pid, command,
 * when it took the lock) and why kuke judged it stale, so an operator can tell a crash from a
 * mistake.
 */
export function lockTakeoverWriter(stderr: OutputStream): NonNullable<PipelineOptions["onLockTakeover"]> {
  return (stale) => {
    const h = stale.holder;
    const who = h
      ? `pid ${h.pid} (${h.command || "command unknown"}), which took it at ${h.acquiredAt || "an unknown time"}`
      : "a kuke that died while writing it";
    stderr.write(`Taking over the stale run-path lock ${stale.path} of ${who}: ${stale.reason}.\n`);
  };
}
