/**
 * The test command (`npm test [-- FILTER...]`): loads every compiled `*.test.js` under dist/test
 * (or those whose path contains one of the FILTER words), runs their uvu suites in one process,
 * runs the registered teardowns (containerd, temporary dirs, host objects) even when tests fail,
 * and ends with the plain line `N passed, N failed` that CI reads.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
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

async function main(): Promise<number> {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const filters = process.argv.slice(2);
  const files = findTests(here).filter(
    (f) => filters.length === 0 || filters.some((w) => relative(here, f).includes(w)),
  );
  if (files.length === 0) {
    process.stdout.write(`no test files match ${filters.join(" ")}\n0 passed, 1 failed\n`);
    return 1;
  }

  g.UVU_DEFER = 1;
  g.UVU_QUEUE = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let loadFailures = 0;
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
        const outcome = await run();
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
  // The first SIGINT/SIGTERM runs the teardowns and then exits; later signals are ignored, so a
  // second Ctrl-C cannot cut a cleanup short and leave cgroups, pins or bridges behind.
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write("interrupted: cleaning up what the tests made (further signals are ignored)\n");
    void runTeardown((l) => process.stderr.write(`${l}\n`)).finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await exec();
  } finally {
    teardownFailures = await runTeardown((l) => process.stderr.write(`${l}\n`));
  }
  failed += loadFailures + teardownFailures;
  const extra = skipped > 0 ? `, ${skipped} skipped` : "";
  process.stdout.write(`${passed} passed, ${failed} failed${extra}\n`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`test runner crashed: ${e instanceof Error ? e.stack : e}\n0 passed, 1 failed\n`);
    process.exit(1);
  },
);
