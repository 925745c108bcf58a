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

/**
 * `KUKE_FAULT_HANG_STEP=<step kind>` (e.g. `task.start`): the first step of that kind does its work
 * and then never reports back, as a step whose containerd call hangs would. Only the interrupt
 * grace (or a second signal) ends it: the test of that grace (test/e2e/signals.test.ts) uses it.
 */
export function hangStepFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const raw = env.KUKE_FAULT_HANG_STEP;
  return raw === undefined || raw === "" ? undefined : raw;
}

/** Holds the first step of kind `kind` after its work, until `release` (the abandon signal) aborts. */
export class StepHang {
  private hung = false;

  constructor(
    private readonly kind: string | undefined,
    private readonly release: AbortSignal | undefined,
  ) {}

  /** `work`, then (for the first step of the hanging kind) a wait that only `release` ends. */
  async after(kind: string, work: Promise<void>): Promise<void> {
    await work;
    if (this.kind === undefined || kind !== this.kind || this.hung) return;
    this.hung = true;
    const release = this.release;
    await new Promise<void>((resolve) => {
      // Holds the event loop, as a pending call on a live connection does.
      const hold = setInterval(() => undefined, 60_000);
      const end = () => {
        clearInterval(hold);
        resolve();
      };
      if (release?.aborted) end();
      else release?.addEventListener("abort", end, { once: true });
    });
  }
}
