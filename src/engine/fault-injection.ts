/**
 * Deterministic crash points for the fault-injection tests (test/faults/). When the environment
 * variable `KUKE_FAULT_KILL_AT_JOURNAL` holds a number N ≥ 1, the process sends itself SIGKILL right
 * after its N-th journal line (the `begin` line counts as the first) has been written: the same
 * point as an operator's `kill -9` at that moment, without any timing. Unset (always, outside the
 * tests) it costs one environment lookup per apply.
 */

/** The journal write count after which to die, or undefined. */
export function killPointFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number | undefined {
  const raw = env.KUKE_FAULT_KILL_AT_JOURNAL;
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** Counts journal writes and SIGKILLs this process after the `killAt`-th one. */
export class JournalKillSwitch {
  private written = 0;

  constructor(private readonly killAt: number | undefined) {}

  /** Call after each journal line is written. */
  wrote(): void {
    this.written += 1;
    if (this.killAt !== undefined && this.written >= this.killAt) process.kill(process.pid, "SIGKILL");
  }
}
