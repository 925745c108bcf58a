/**
 * The test command (`npm test [-- FILTER...]`, which compiles first): loads every compiled
 * `*.test.js` under dist/test (or those whose path contains one of the FILTER words), runs their uvu
 * suites in one process, runs the registered teardowns (containerd, temporary dirs, host objects)
 * even when tests fail or time out, and ends with the plain line `N passed, N failed` that CI reads.
 *
 * Limits, so a hang cannot hang CI: each test and hook gets `KUKE_TEST_TIMEOUT` seconds (default
 * 120; see harness/timed-suite.ts), the whole run `KUKE_TEST_RUN_TIMEOUT` seconds (default 2400),
 * after which the teardowns run and the run fails. A test that blocks the event loop that long is
 * killed by a watchdog thread (see startWatchdog). `UPDATE_GOLDEN` (rewrite golden files) is refused
 * when `CI` is set: a run that rewrites its expectations cannot fail.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { register } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { runTeardown } from "./harness/teardown.js";

type Outcome = [errors: string | true, passed: number, skipped: number, total: number];
type QueuedSuite = () => Promise<Outcome>;
const g = globalThis as unknown as { UVU_DEFER: number; UVU_QUEUE: unknown[][]; UVU_INDEX: number };

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
function sourceOf(compiled: string): string {
  return join(repoRoot, relative(join(repoRoot, "dist"), compiled)).replace(/\.js$/, ".ts");
}

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    // A compiled test whose source was deleted is stale output, not a test.
    else if (entry.endsWith(".test.js") && existsSync(sourceOf(p))) out.push(p);
  }
  return out;
}

/**
 * The CLI-process tests run the package's bin, the bundle `npm run build` makes from tsc's output
 * (dist/kuke.js). After a bare `tsc` it is older than that output and would test the code before
 * the change: refused, with the remedy.
 */
function staleBundle(): string | undefined {
  const bundle = join(repoRoot, "dist", "kuke.js");
  const remedy = "run npm run build (tsc, then scripts/bundle.js), or npm test, which builds both";
  if (!existsSync(bundle)) return `dist/kuke.js is missing: ${remedy}`;
  const built = statSync(bundle).mtimeMs;
  const newer = newestJs(join(repoRoot, "dist", "src"));
  return newer.mtimeMs > built ? `dist/kuke.js is older than ${relative(repoRoot, newer.path)}: ${remedy}` : undefined;
}

function newestJs(dir: string): { path: string; mtimeMs: number } {
  let newest = { path: dir, mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    const candidate = entry.isDirectory()
      ? newestJs(p)
      : entry.name.endsWith(".js")
        ? { path: p, mtimeMs: statSync(p).mtimeMs }
        : newest;
    if (candidate.mtimeMs > newest.mtimeMs) newest = candidate;
  }
  return newest;
}

/** A positive number of seconds from the environment, else the default; anything else is refused. */
function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number of seconds, got "${raw}"`);
  return n;
}

const isCI = (process.env.CI ?? "") !== "" && process.env.CI !== "false" && process.env.CI !== "0";

/**
 * The one hang no timer in this thread can stop is a test blocking the event loop (a synchronous
 * endless loop). A thread of its own expects a heartbeat from this one and, when none came for
 * `limitMs` (no test may take that long anyway), says so and kills the process; teardowns cannot
 * run then. Unref'd both ways, so it never keeps a finished run alive.
 */
function startWatchdog(limitMs: number): void {
  const every = Math.min(1000, Math.max(50, Math.floor(limitMs / 4)));
  const code = `
    const { parentPort } = require("node:worker_threads");
    const { writeSync } = require("node:fs");
    let last = Date.now();
    parentPort.on("message", () => { last = Date.now(); });
    setInterval(() => {
      if (Date.now() - last <= ${limitMs}) return;
      writeSync(2, "\\nthe test process did not answer for ${limitMs / 1000} s (a test blocks the event loop; limit: KUKE_TEST_TIMEOUT seconds); killing it, teardowns could not run\\n");
      writeSync(1, "\\n0 passed, 1 failed\\n");
      process.kill(${process.pid}, "SIGKILL");
    }, ${every});`;
  const worker = new Worker(code, { eval: true });
  worker.unref();
  setInterval(() => worker.postMessage(0), every).unref();
}

async function main(): Promise<number> {
  if (isCI && (process.env.UPDATE_GOLDEN ?? "") !== "") {
    process.stderr.write(
      "UPDATE_GOLDEN is refused under CI: rewriting golden files makes every golden test pass. " +
        "Update them locally (UPDATE_GOLDEN=1 npm test -- golden), review the diff and commit it.\n",
    );
    process.stdout.write("0 passed, 1 failed\n");
    return 1;
  }
  const stale = staleBundle();
  if (stale !== undefined) {
    process.stderr.write(`${stale}\n`);
    process.stdout.write("0 passed, 1 failed\n");
    return 1;
  }
  // Before uvu is first loaded: it queues suites for exec() instead of running them on its own.
  g.UVU_DEFER = 1;
  g.UVU_QUEUE = [];
  const { harness } = await import("./harness/timed-suite.js");
  harness.testTimeoutMs = seconds("KUKE_TEST_TIMEOUT", 120) * 1000;
  const runTimeoutMs = seconds("KUKE_TEST_RUN_TIMEOUT", 2400) * 1000;
  // Test files import "uvu"; this hook hands them harness/timed-suite.js (time limits, hook errors).
  register("./harness/uvu-loader.js", import.meta.url);

  const here = fileURLToPath(new URL(".", import.meta.url));
  const filters = process.argv.slice(2);
  const files = findTests(here).filter(
    (f) => filters.length === 0 || filters.some((w) => relative(here, f).includes(w)),
  );
  if (files.length === 0) {
    process.stdout.write(`no test files match ${filters.join(" ")}\n0 passed, 1 failed\n`);
    return 1;
  }

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let loadFailures = 0;
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const teardown = () => runTeardown(log, harness.testTimeoutMs);
  // `lead` starts the line when uvu may be mid-line (a run stopped during a suite).
  const summary = (extraFailures: number, lead = "") => {
    const total = failed + loadFailures + harness.hookFailures + extraFailures;
    const extra = skipped > 0 ? `, ${skipped} skipped` : "";
    process.stdout.write(`${lead}${passed} passed, ${total} failed${extra}\n`);
  };
  // The first SIGINT/SIGTERM (or the run timeout) runs the teardowns and then exits; later signals
  // are ignored, so a second Ctrl-C cannot cut a cleanup short and leave cgroups, pins or bridges behind.
  let stopping = false;
  let stoppedEarly: Promise<void> | undefined;
  const stopEarly = (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`${why}: cleaning up what the tests made (further signals are ignored)`);
    stoppedEarly = teardown()
      .then((teardownFailures) => summary(teardownFailures + 1, "\n"))
      .finally(() => process.exit(code));
  };
  process.on("SIGINT", () => stopEarly("interrupted", 130));
  process.on("SIGTERM", () => stopEarly("interrupted", 130));
  startWatchdog(harness.testTimeoutMs);
  const runTimer = setTimeout(
    () => stopEarly(`the test run timed out after ${runTimeoutMs / 1000} s (limit: KUKE_TEST_RUN_TIMEOUT seconds)`, 1),
    runTimeoutMs,
  );
  for (const [i, file] of files.entries()) {
    g.UVU_QUEUE.push([relative(here, file)]);
    g.UVU_INDEX = i;
    try {
      await import(pathToFileURL(file).href);
    } catch (e) {
      loadFailures++;
      process.stderr.write(`cannot load ${relative(here, file)}: ${e instanceof Error ? e.stack : e}\n`);
    }
  }
  // Count outcomes by wrapping each queued suite; uvu only prints its totals.
  for (const group of g.UVU_QUEUE) {
    for (let j = 1; j < group.length; j++) {
      const run = group[j] as QueuedSuite;
      group[j] = async () => {
        let outcome: Outcome;
        try {
          outcome = await run();
        } catch (e) {
          // uvu lets an error escape a suite's runner (e.g. from a hook); it fails that suite, not the run.
          outcome = [`  suite aborted: ${e instanceof Error ? e.stack : e}\n`, 0, 0, 1];
        }
        const [, ok, skip, total] = outcome;
        passed += ok;
        skipped += skip;
        failed += total - ok;
        return outcome;
      };
    }
  }

  const { exec } = await import("uvu");
  let teardownFailures = 0;
  try {
    await exec();
  } finally {
    clearTimeout(runTimer);
    // Stopped by a signal or the run timeout while tests still ran: that path ends the process.
    if (stoppedEarly) await stoppedEarly;
    if (!stopping) {
      stopping = true;
      teardownFailures = await teardown();
    }
  }
  summary(teardownFailures);
  return failed + loadFailures + harness.hookFailures + teardownFailures > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`test runner crashed: ${e instanceof Error ? e.stack : e}\n0 passed, 1 failed\n`);
    process.exit(1);
  },
);
