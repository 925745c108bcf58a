/**
 * Cleanups registered by tests and harness pieces, run once at the end of the test run (also after
 * a failure or Ctrl-C), last registered first. A cleanup that throws is reported and the others still run.
 */
type Cleanup = { name: string; fn: () => Promise<void> | void };
const cleanups: Cleanup[] = [];

export function onTeardown(name: string, fn: () => Promise<void> | void): void {
  cleanups.push({ name, fn });
}

export async function runTeardown(log: (line: string) => void): Promise<number> {
  let failures = 0;
  while (cleanups.length > 0) {
    const c = cleanups.pop()!;
    try {
      await c.fn();
    } catch (e) {
      failures++;
      log(`teardown '${c.name}' failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  return failures;
}
