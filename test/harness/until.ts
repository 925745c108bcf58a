/**
 * Polling for host tests: what a daemon or kernel does on its own time (a task starting, a restart
 * monitor acting) is waited for, never assumed after a fixed sleep.
 */

/** Calls `fn` every 50 ms until it gives a value, and returns that; fails naming `what` after `ms`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
