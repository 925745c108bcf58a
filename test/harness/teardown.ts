/**
 * Cleanups registered by tests and harness pieces, run once at the end of the test run (also after
 * a failure, a timeout or Ctrl-C), last registered first. A cleanup that throws, or runs longer than
 * `timeoutMs`, is reported and the others still run.
 */
type Cleanup = { name: string; fn: () => Promise<void> | void };
const cleanups: Cleanup[] = [];

export function onTeardown(name: string, fn: () => Promise<void> | void): void {
  cleanups.push({ name, fn });
}

export async function runTeardown(log: (line: string) => void, timeoutMs = 120_000): Promise<number> {
  let failures = 0;
  while (cleanups.length > 0) {
    const c = cleanups.pop()!;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.resolve().then(c.fn), timeout]);
    } catch (e) {
      failures++;
      log(`teardown '${c.name}' failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    } finally {
      clearTimeout(timer);
    }
  }
  return failures;
}
