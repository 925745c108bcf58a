/**
 * Module resolve hook installed by the test runner (test/run.ts, `module.register`): a test file's
 * `import { suite } from "uvu"` resolves to `timed-suite.js`, uvu's suite with time limits and
 * printed hook failures, so test files keep importing uvu and none can opt out by accident.
 * timed-suite.js itself (and anything outside dist/test) gets the real uvu.
 */
const SHIM = new URL("./timed-suite.js", import.meta.url).href;
const TESTS = new URL("../", import.meta.url).href;

type Resolved = { url: string; shortCircuit?: boolean };
type Next = (specifier: string, context: { parentURL?: string }) => Promise<Resolved>;

export async function resolve(specifier: string, context: { parentURL?: string }, next: Next): Promise<Resolved> {
  const parent = context.parentURL;
  if (specifier === "uvu" && parent?.startsWith(TESTS) && parent !== SHIM) return { url: SHIM, shortCircuit: true };
  return next(specifier, context);
}
