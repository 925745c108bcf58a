/**
 * A container's current and previous log: tail offsets, prefixed lines of several containers,
 * the previous log, the size cap (copy + truncate in place) and the keep/remove of a replace or a
 * destroy.
 */
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { capLog, logFilesIn } from "../../src/logs/log-files.js";
import { readLogSources, tailRange } from "../../src/logs/log-sources.js";
import { cellAddress, containerAddress } from "../../src/model/index.js";
import { containerLogPath, logPathOf, previousLogPath, runPathLayout } from "../../src/state/run-path.js";
import { onTeardown } from "../harness/teardown.js";

const t = suite("logs/log-files");
let dir = "";
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kuke-logfiles-"));
  onTeardown(`logs test dir ${dir}`, () => rm(dir, { recursive: true, force: true }));
});
t.after(() => rm(dir, { recursive: true, force: true }));

const sink = () => {
  const chunks: Buffer[] = [];
  return { write: (c: Buffer) => void chunks.push(c), text: () => Buffer.concat(chunks).toString("utf8") };
};

t("tailRange: the start of the last N lines, with or without a final newline, and the end then", async () => {
  const f = join(dir, "tail.log");
  await writeFile(f, "one\ntwo\nthree\n");
  const from = async (n: number) => (await readFile(f)).subarray((await tailRange(f, n)).from).toString();
  assert.equal(await tailRange(f, 1), { from: 8, to: 14 });
  assert.is(await from(1), "three\n");
  assert.is(await from(2), "two\nthree\n");
  assert.is(await from(9), "one\ntwo\nthree\n");
  assert.is(await from(0), "");
  await writeFile(f, "one\ntwo\npartial");
  assert.is(await from(1), "partial");
  assert.is(await from(2), "two\npartial");
  // Lines longer than the backwards read chunk.
  const long = "x".repeat(100_000);
  await writeFile(f, `${long}\n${long}\nend\n`);
  assert.is(await from(2), `${long}\nend\n`);
  assert.equal(await tailRange(join(dir, "missing.log"), 3), { from: 0 });
});

t("--tail without --follow: lines the container appends while kuke reads do not come too", async () => {
  const f = join(dir, "growing", "app.log");
  await mkdir(dirname(f), { recursive: true });
  await writeFile(f, "l1\nl2\nl3\n");
  const source = {
    container: containerAddress("r", "s", "t", "web", "app"),
    path: f,
    previousPath: previousLogPath(f),
  };
  const out: string[] = [];
  // The container writes more while kuke's first chunk is being written out.
  const write = async (c: Buffer) => {
    if (out.length === 0) await appendFile(f, "l4\nl5\n");
    out.push(c.toString("utf8"));
  };
  await readLogSources([source], { write, tail: 2 });
  assert.is(out.join(""), "l2\nl3\n");
  assert.is((await readFile(f, "utf8")).split("\n").length - 1, 5, "the file did grow meanwhile");
});

t("a cell's logs: every container, each line whole and prefixed; tail applies per container", async () => {
  const runPath = join(dir, "run");
  const cell = cellAddress("r", "s", "t", "web");
  const app = containerLogPath(runPathLayout(runPath).logs, containerAddress("r", "s", "t", "web", "app"));
  const sidecar = containerLogPath(runPathLayout(runPath).logs, containerAddress("r", "s", "t", "web", "sidecar"));
  await mkdir(dirname(app), { recursive: true });
  // Records as kuke's logger writes them; app's last line has no newline yet (a P record).
  const rec = (tag: string, text: string) => `2026-12-03T10:00:00.000001Z stdout ${tag} ${text}\n`;
  await writeFile(app, rec("F", "a1") + rec("F", "a2") + rec("P", "a3"));
  await writeFile(sidecar, "s1\ns2\n"); // a raw log, as kuke wrote them before its logger
  const dirOf = (c: typeof cell) => logPathOf(runPathLayout(runPath).logs, c);
  const sources = (await logFilesIn(dirOf(cell))).map((f) => ({
    container: containerAddress("r", "s", "t", "web", f.container),
    path: f.path,
    previousPath: previousLogPath(f.path),
  }));
  assert.equal(
    sources.map((s) => s.container.container),
    ["app", "sidecar"],
  );
  const all = sink();
  await readLogSources(sources, { write: all.write });
  assert.is(all.text(), "app     | a1\napp     | a2\napp     | a3\nsidecar | s1\nsidecar | s2\n");
  const last = sink();
  await readLogSources(sources, { write: last.write, tail: 1 });
  assert.is(last.text(), "app     | a3\nsidecar | s2\n");
  const one = sink();
  await readLogSources(sources.slice(0, 1), { write: one.write, tail: 2 });
  assert.is(one.text(), "a2\na3", "one container: no prefix, the output as written");
  const stamped = sink();
  await readLogSources(sources, { write: stamped.write, tail: 1, timestamps: true });
  assert.is(stamped.text(), "app     | 2026-12-03T10:00:00.000001Z a3\nsidecar | s2\n");
  assert.equal(await logFilesIn(dirOf(cellAddress("r", "s", "t", "none"))), []);
});

t("the size cap: over it, the log is copied to the previous one and emptied in place", async () => {
  const f = join(dir, "cap", "app.log");
  await mkdir(dirname(f), { recursive: true });
  await writeFile(f, "0123456789");
  assert.is(await capLog(f, previousLogPath(f), 10), false, "at the cap: kept");
  await appendFile(f, "abc\n");
  // A writer that keeps the file open in append mode, as containerd's shim does.
  const { open } = await import("node:fs/promises");
  const writer = await open(f, "a");
  try {
    assert.is(await capLog(f, previousLogPath(f), 10), true);
    assert.is(await readFile(previousLogPath(f), "utf8"), "0123456789abc\n");
    assert.is((await stat(f)).size, 0);
    await writer.write("after\n");
    assert.is(await readFile(f, "utf8"), "after\n", "the open writer goes on at the new end");
  } finally {
    await writer.close();
  }
  assert.is(await capLog(join(dir, "cap", "none.log"), join(dir, "cap", "none.log.1"), 1), false);
});

t("--previous reads the previous log", async () => {
  const f = join(dir, "prev", "app.log");
  await mkdir(dirname(f), { recursive: true });
  await writeFile(previousLogPath(f), "old container\n");
  await writeFile(f, "new\n");
  const prev = sink();
  const source = { container: containerAddress("r", "s", "t", "c", "app"), path: f, previousPath: previousLogPath(f) };
  await readLogSources([source], { write: prev.write, previous: true });
  assert.is(prev.text(), "old container\n");
});

t.run();
