/**
 * The test runner itself (test/run.ts with harness/timed-suite.ts): hook failures are printed and
 * counted, a hanging test or run times out with a message and still runs the teardowns, and
 * UPDATE_GOLDEN is refused under CI. Each case runs a child runner on harness/run-fixture.test.js.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { onTeardown } from "./teardown.js";

const runJs = fileURLToPath(new URL("../run.js", import.meta.url));
const t = suite("harness/run");

interface Child {
  code: number;
  signal: string | null;
  stdout: string;
  stderr: string;
}

let dir = "";
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kuke-run-test-"));
  const d = dir;
  onTeardown("run test dir", () => rm(d, { recursive: true, force: true }));
});

function runner(env: Record<string, string>, filter = "harness/run-fixture"): Promise<Child> {
  const base = { ...process.env };
  delete base.CI;
  delete base.UPDATE_GOLDEN;
  delete base.KUKE_TEST_TIMEOUT;
  delete base.KUKE_TEST_RUN_TIMEOUT;
  return new Promise((resolve) => {
    execFile(process.execPath, [runJs, filter], { env: { ...base, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, signal: err?.signal ?? null, stdout, stderr });
    });
  });
}

const lastLine = (s: string) => s.trimEnd().split("\n").at(-1);
const teardownRan = async (marker: string) => (await readFile(marker, "utf8").catch(() => "")) === "teardown ran\n";

t("a throwing before or after hook is printed and counted; the run goes on", async () => {
  const marker = join(dir, "hooks");
  const r = await runner({ KUKE_RUN_FIXTURE: "hooks", KUKE_RUN_FIXTURE_MARKER: marker });
  assert.is(r.code, 1);
  assert.match(r.stderr, /before hook of suite "fixture\/before-throws" failed: Error: boom in before hook/);
  assert.match(r.stderr, /after hook of suite "fixture\/after-throws" failed: Error: boom in after hook/);
  // passes + still runs; failed: the test the before hook stopped, and the two hooks.
  assert.is(lastLine(r.stdout), "2 passed, 3 failed");
  assert.ok(await teardownRan(marker));
});

t("a hanging test fails with its name and the limit, and the next test runs", async () => {
  const marker = join(dir, "hang");
  const r = await runner({ KUKE_RUN_FIXTURE: "hang", KUKE_RUN_FIXTURE_MARKER: marker, KUKE_TEST_TIMEOUT: "1" });
  assert.is(r.code, 1);
  assert.match(
    r.stdout,
    /test "hangs" in suite "fixture\/hang" timed out after 1 s \(limit: KUKE_TEST_TIMEOUT seconds\)/,
  );
  assert.is(lastLine(r.stdout), "1 passed, 1 failed");
  assert.ok(await teardownRan(marker));
});

t("a run longer than KUKE_TEST_RUN_TIMEOUT stops with a message, after the teardowns", async () => {
  const marker = join(dir, "run-timeout");
  const r = await runner({ KUKE_RUN_FIXTURE: "hang", KUKE_RUN_FIXTURE_MARKER: marker, KUKE_TEST_RUN_TIMEOUT: "1" });
  assert.is(r.code, 1);
  assert.match(r.stderr, /the test run timed out after 1 s \(limit: KUKE_TEST_RUN_TIMEOUT seconds\)/);
  assert.is(lastLine(r.stdout), "0 passed, 1 failed");
  assert.ok(await teardownRan(marker));
});

t("a test that blocks the event loop is killed by the watchdog, with a message", async () => {
  const r = await runner({ KUKE_RUN_FIXTURE: "block", KUKE_TEST_TIMEOUT: "1" });
  assert.is(r.signal, "SIGKILL");
  assert.match(r.stderr, /the test process did not answer for 1 s \(a test blocks the event loop/);
  assert.is(lastLine(r.stdout), "0 passed, 1 failed");
});

t("UPDATE_GOLDEN is refused under CI, before any test runs", async () => {
  const marker = join(dir, "golden");
  const r = await runner({
    KUKE_RUN_FIXTURE: "hooks",
    KUKE_RUN_FIXTURE_MARKER: marker,
    CI: "true",
    UPDATE_GOLDEN: "1",
  });
  assert.is(r.code, 1);
  assert.match(r.stderr, /UPDATE_GOLDEN is refused under CI/);
  assert.is(lastLine(r.stdout), "0 passed, 1 failed");
  assert.not.ok(await teardownRan(marker), "no test file was loaded");
});

t("a bad limit is refused rather than ignored", async () => {
  const r = await runner({ KUKE_TEST_TIMEOUT: "soon" });
  assert.is(r.code, 1);
  assert.match(r.stderr, /KUKE_TEST_TIMEOUT must be a positive number of seconds, got "soon"/);
});

t.run();
