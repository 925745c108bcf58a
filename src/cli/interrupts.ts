/**
 * Where Ctrl-C (and its cousins) come from, and what a command does about them. The real CLI
 * listens for SIGINT, SIGTERM and SIGHUP on the process (which also stops Node from exiting at
 * once: SIGTERM is what systemd, CI runners and `timeout` send, SIGHUP what a closed terminal
 * sends, and each must leave the run path as cleanly as Ctrl-C). Tests put an `interrupts` source
 * into the context instead, because a process-wide signal would reach the test runner too.
 */
import { parseDuration } from "../runner/lock-timeout.js";
import type { OutputStream } from "./output-style.js";

/** The signals kuke treats as "stop, cleanly". */
export type InterruptSignal = "SIGINT" | "SIGTERM" | "SIGHUP";
export const INTERRUPT_SIGNALS: readonly InterruptSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export interface InterruptSource {
  /** `listener` gets the signal's name (a test source may leave it out: it means SIGINT). */
  on(listener: (signal?: InterruptSignal) => void): void;
  off(listener: (signal?: InterruptSignal) => void): void;
}

// Node passes the signal's name as the listener's first argument.
const processInterrupts: InterruptSource = {
  on: (l) => {
    for (const s of INTERRUPT_SIGNALS) process.on(s, l);
  },
  off: (l) => {
    for (const s of INTERRUPT_SIGNALS) process.off(s, l);
  },
};

/** The context's `interrupts` if it has one, else the process's SIGINT, SIGTERM and SIGHUP. */
export function interruptsOf(context: { interrupts?: InterruptSource | undefined }): InterruptSource {
  return context.interrupts ?? processInterrupts;
}

/**
 * How long running steps get after the first signal before they are abandoned (DESIGN §4: stop
 * starting steps, let running ones finish, bounded).
 */
export const INTERRUPT_GRACE_MS = 30_000;

/**
 * The grace of `env`'s `KUKE_INTERRUPT_GRACE` (a duration: `30s`, `500ms`, `2m`), else
 * `INTERRUPT_GRACE_MS`. An environment setting, not a flag, like `KUKE_CONTAINERD_RETRY_TIMEOUT`:
 * the signal's sender (systemd's stop timeout, a CI job's) decides how long is worth waiting.
 * @throws KukeError `usage` when it is not a duration
 */
export function interruptGraceMs(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.KUKE_INTERRUPT_GRACE;
  return raw === undefined || raw === "" ? INTERRUPT_GRACE_MS : parseDuration("KUKE_INTERRUPT_GRACE", raw);
}

/** `30 s`, or `500 ms` below a second. */
function graceText(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/** What one command listens for while it changes the host. */
export interface Cancellation {
  /** Aborted at the first signal: no new step starts, running ones finish. */
  readonly signal: AbortSignal;
  /**
   * Aborted at the second signal, or `graceMs` after the first: running steps are abandoned (the
   * journal records them as aborted) so the lock is released and kuke exits now.
   */
  readonly abortSteps: AbortSignal;
  /** True once a signal came. */
  interrupted(): boolean;
  /** Stops listening; call it in a `finally`. */
  dispose(): void;
}

/**
 * Listens for interrupts for the length of one command: the first stops new steps and starts the
 * grace period, the second (or the end of the grace) abandons the running steps. Each is announced
 * on `stderr`, naming the signal.
 */
export function listenForInterrupts(
  source: InterruptSource,
  stderr: OutputStream,
  graceMs: number = INTERRUPT_GRACE_MS,
): Cancellation {
  const first = new AbortController();
  const second = new AbortController();
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  const abandon = (why: string) => {
    if (second.signal.aborted) return;
    stderr.write(`${why}: abandoning the running steps; the journal records them and the lock is released.\n`);
    second.abort();
  };
  const listener = (sig?: InterruptSignal) => {
    count++;
    const name = sig === undefined || sig === "SIGINT" ? "Interrupt" : sig;
    if (count === 1) {
      stderr.write(
        `\n${name} received: no new steps start; running steps finish (at most ${graceText(graceMs)}; a second signal aborts them).\n`,
      );
      first.abort();
      timer = setTimeout(() => abandon(`Running steps did not finish within ${graceText(graceMs)}`), graceMs);
    } else {
      abandon(`Second signal (${name})`);
    }
  };
  source.on(listener);
  return {
    signal: first.signal,
    abortSteps: second.signal,
    interrupted: () => count > 0,
    dispose() {
      source.off(listener);
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
