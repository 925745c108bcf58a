/**
 * Riding out a containerd restart. While containerd restarts (an upgrade, a crash, `systemctl
 * restart`), its socket is gone or refuses connections for a few seconds and every call fails with
 * gRPC UNAVAILABLE. A client that has reached this containerd before retries such calls with
 * backoff for a bounded time, then gives up with an error that says what was tried, how long, and
 * what to do. A client that never reached it fails at once: that containerd is simply not running.
 *
 * A call that failed with UNAVAILABLE may still have taken effect (the connection dropped after
 * the request was sent), so the retry of a call that creates something can meet what the first
 * attempt made. `afterRetry` settles those cases for the calls kuke makes: the same object already
 * there is success, anything else stays an error.
 */
import { KukeError } from "../../model/errors.js";
import { classifyGrpcError, grpcCodeName, isGrpcUnavailable } from "./errors.js";

/** How long a client that reached containerd before keeps retrying an UNAVAILABLE call. */
export const DEFAULT_RETRY_MS = 20_000;
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2_000;

/** A call to make again, and what settles a failure of a retry (see `afterRetry`). */
export interface RetryableCall<T> {
  /** `containerd Tasks.Create`, for messages. */
  what: string;
  /** One attempt; rejects with the raw gRPC error. */
  once: () => Promise<T>;
  /**
   * After at least one UNAVAILABLE attempt, turns a raw error of a later attempt into a result
   * (the first attempt did take effect) or returns undefined to keep the error.
   */
  afterRetry?: ((raw: unknown) => Promise<T | undefined>) | undefined;
}

export interface RetryState {
  /** True once containerd answered any call of this client (then UNAVAILABLE means "restarting"). */
  answered: boolean;
  /** Total time to keep retrying one call. */
  retryMs: number;
  /** The socket, for the message. */
  address: string;
}

/** Runs `call`, retrying UNAVAILABLE with backoff (see the module comment); failures come back as KukeError. */
export async function withRetry<T>(state: RetryState, call: RetryableCall<T>): Promise<T> {
  const started = Date.now();
  let attempts = 0;
  let delay = FIRST_DELAY_MS;
  for (;;) {
    attempts++;
    let raw: unknown;
    try {
      const result = await call.once();
      state.answered = true;
      return result;
    } catch (e) {
      raw = e;
    }
    if (!isGrpcUnavailable(raw)) {
      // Any other status came from containerd itself: it answers.
      if (grpcCodeName(raw) !== undefined) state.answered = true;
      if (attempts > 1 && call.afterRetry !== undefined) {
        const settled = await call.afterRetry(raw);
        if (settled !== undefined) return settled;
      }
      throw classifyGrpcError(raw, call.what);
    }
    const elapsed = Date.now() - started;
    if (!state.answered) throw classifyGrpcError(raw, call.what);
    if (elapsed >= state.retryMs) throw gaveUp(state, call.what, raw, attempts, elapsed);
    await new Promise((r) => setTimeout(r, Math.min(delay, state.retryMs - elapsed)));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}

function gaveUp(state: RetryState, what: string, raw: unknown, attempts: number, elapsedMs: number): KukeError {
  const last = classifyGrpcError(raw, what);
  const seconds = (elapsedMs / 1000).toFixed(1);
  return new KukeError("unavailable", `${what}: containerd did not come back within ${seconds} s`, {
    detail: [
      `containerd at ${state.address} answered earlier in this run, then stopped answering;`,
      `${attempts} attempts over ${seconds} s, the last: ${last.detail ?? last.message}`,
    ].join("\n"),
    remedy:
      "check that containerd runs again (systemctl status containerd, or the daemon behind --containerd-address), " +
      "then run the same kuke command again: it finishes what this one started " +
      "(KUKE_CONTAINERD_RETRY_TIMEOUT=60s waits longer)",
    cause: raw,
  });
}
