import { appendFile, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readLogs } from "../../src/logs/read-logs.js";
import { containerAddress, isKukeError } from "../../src/model/index.js";
import { containerLogPath, runPathLayout } from "../../src/state/run-path.js";
import { onTeardown } from "../harness/teardown.js";

const t = suite("logs/read-logs");

let dir = "";
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kuke-logs-"));
  onTeardown(`logs test dir ${dir}`, () => rm(dir, { recursive: true, force: true }));
});
t.after(() => rm(dir, { recursive: true, force: true }));

/** Collects written chunks as text. */
function sink() {
  const chunks: Buffer[] = [];
  return {
    write: (c: Buffer) => {
      chunks.push(c);
    },
    text: () => Buffer.concat(chunks).toString("utf8"),
  };
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const app = containerAddress("main", "web", "app", "api", "server");

t("the log path follows the host layout", () => {
  assert.is(
    containerLogPath(runPathLayout("/var/lib/kuke").logs, app),
    "/var/lib/kuke/logs/main/web/app/api/server.log",
  );
});

t("prints the whole file and returns at its end", async () => {
  const file = join(dir, "whole.log");
  const big = `${"x".repeat(100_000)}\nlast line\n`;
  await writeFile(file, big);
  const out = sink();
  await readLogs(file, { write: out.write });
  assert.is(out.text(), big);
});

t("follow prints appended lines, restarts after truncation, stops on abort", async () => {
  const file = join(dir, "follow.log");
  await writeFile(file, "one\n");
  const out = sink();
  const ac = new AbortController();
  const done = readLogs(file, { write: out.write, follow: true, signal: ac.signal, pollMs: 50 });
  await until("first line", () => out.text() === "one\n");
  await appendFile(file, "two\n");
  await until("appended line", () => out.text() === "one\ntwo\n");
  await truncate(file, 0);
  await appendFile(file, "fresh\n");
  await until("line after truncation", () => out.text().endsWith("fresh\n"));
  const started = Date.now();
  ac.abort();
  await done;
  assert.ok(Date.now() - started < 1000, "abort ends following promptly");
  await appendFile(file, "after\n");
  await new Promise((r) => setTimeout(r, 120));
  assert.not.match(out.text(), "after");
});

t("an already aborted follow writes nothing; a plain read ignores the signal", async () => {
  const file = join(dir, "aborted.log");
  await writeFile(file, "only\n");
  const out = sink();
  const ac = new AbortController();
  ac.abort();
  await readLogs(file, { write: out.write, follow: true, signal: ac.signal });
  assert.is(out.text(), "");
  await readLogs(file, { write: out.write, signal: ac.signal });
  assert.is(out.text(), "only\n", "without follow the signal does not cut the read short");
});

t("a missing log is not-found with a remedy", async () => {
  const err = await readLogs(join(dir, "nope", "server.log"), { write: () => undefined, address: app }).catch(
    (e: unknown) => e,
  );
  assert.ok(isKukeError(err, "not-found"), String(err));
  assert.match(err.message, "container/main/web/app/api/server");
  assert.match(err.remedy ?? "", "kuke start container server --realm main --space web --stack app --cell api");
  assert.is(err.exitCode, 1);
});

t.run();
