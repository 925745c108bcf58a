/**
 * uvu's `suite` with what uvu lacks, for every test file (test/harness/uvu-loader.ts sends each
 * test file's `import … from "uvu"` here):
 *
 * - a time limit on each test and each hook (`KUKE_TEST_TIMEOUT` seconds, set by test/run.ts): a
 *   test that hangs fails with a message naming it, and the run goes on;
 * - a `before`/`after` hook that throws is printed (uvu counts the suite's tests as failed but never
 *   says why) and counted as one more failure; a throwing `after` hook no longer aborts the whole
 *   run (uvu lets it escape its runner).
 */
import { type Callback, type Test, suite as uvuSuite } from "uvu";

/** Settings and counters shared with test/run.ts. */
export const harness = {
  /** Time limit of one test or hook, in ms. @default 120000 */
  testTimeoutMs: 120_000,
  /** Failed before/after hooks, which uvu does not count itself. */
  hookFailures: 0,
};

/** A callback that fails with a clear message when it runs longer than the limit. */
function bounded<T>(what: string, fn: Callback<T>): Callback<T> {
  return (context) => {
    let timer: NodeJS.Timeout | undefined;
    const limit = harness.testTimeoutMs;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} timed out after ${limit / 1000} s (limit: KUKE_TEST_TIMEOUT seconds)`)),
        limit,
      );
    });
    return Promise.race([Promise.resolve().then(() => fn(context)), timeout]).finally(() => clearTimeout(timer));
  };
}

function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

/** A suite-level hook: bounded, printed when it throws; `swallow` keeps an after hook's error inside. */
function suiteHook<T>(what: string, fn: Callback<T>, swallow: boolean): Callback<T> {
  const run = bounded(what, fn);
  return async (context) => {
    try {
      await run(context);
    } catch (e) {
      harness.hookFailures++;
      process.stderr.write(`\n✘ ${what} failed: ${describe(e)}\n`);
      if (!swallow) throw e;
    }
  };
}

/** A per-test hook: bounded; uvu reports a before.each failure as the test's own, not an after.each one. */
function eachHook<T>(what: string, fn: Callback<T>, print: boolean): Callback<T> {
  const run = bounded(what, fn);
  return async (context) => {
    try {
      await run(context);
    } catch (e) {
      if (print) process.stderr.write(`\n✘ ${what} failed (the suite's remaining tests do not run): ${describe(e)}\n`);
      throw e;
    }
  };
}

export function suite<T = Record<string, unknown>>(title?: string, context?: T): Test<T> {
  const inner = uvuSuite<T>(title, context);
  const where = title ? `suite "${title}"` : "the default suite";
  const test = ((name: string, fn: Callback<T>) => inner(name, bounded(`test "${name}" in ${where}`, fn))) as Test<T>;
  test.only = (name, fn) => inner.only(name, bounded(`test "${name}" in ${where}`, fn));
  test.skip = (name, fn) => inner.skip(name, fn);
  test.before = Object.assign((fn: Callback<T>) => inner.before(suiteHook(`before hook of ${where}`, fn, false)), {
    each: (fn: Callback<T>) => inner.before.each(eachHook(`before.each hook of ${where}`, fn, false)),
  });
  test.after = Object.assign((fn: Callback<T>) => inner.after(suiteHook(`after hook of ${where}`, fn, true)), {
    each: (fn: Callback<T>) => inner.after.each(eachHook(`after.each hook of ${where}`, fn, true)),
  });
  test.run = () => inner.run();
  return test;
}

export const test = suite();
export { exec } from "uvu";
