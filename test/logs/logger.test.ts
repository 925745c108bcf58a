/**
 * kuke's container logger (`libexec/kuke-log`) run as the shim runs it: the task's stdout on fd 3,
 * stderr on fd 4, a ready pipe on fd 5, `log PATH` as arguments. Whole lines, pieces forced out
 * by idleness, length or the end, TERM, and that a quiet logger sleeps (no timer wakes it: one
 * runs for every task on the host).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { loggerPath } from "../../src/executors/containerd/log-uri.js";
import { parseRecord } from "../../src/logs/log-records.js";

const t = suite("logs/logger");
let dir: string;

t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kuke-logger-"));
});
t.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Logger {
  child: ChildProcess;
  out: Writable;
  err: Writable;
  path: string;
  ready: Promise<void>;
  exited: Promise<number | null>;
}

function startLogger(name: string): Logger {
  const path = join(dir, `${name}.log`);
  const child = spawn(loggerPath(), ["log", path], { stdio: ["ignore", "ignore", "inherit", "pipe", "pipe", "pipe"] });
  const fd5 = (child.stdio as unknown as Readable[])[5] as Readable;
  const ready = new Promise<void>((resolve) => {
    fd5.on("end", () => resolve());
    fd5.resume();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: child.stdio[3] as Writable, err: child.stdio[4] as Writable, path, ready, exited };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const records = async (path: string) =>
  (await readFile(path, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const r = parseRecord(l);
      if (!r) throw new Error(`not a record: ${l}`);
      return r;
    });
/** The process's voluntary context switches: each time it went to sleep and was woken again. */
const wakeups = async (pid: number) =>
  Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1]);

t("whole lines of both streams, a piece after half a second idle, long lines cut, the rest at the end", async () => {
  const l = startLogger("lines");
  await l.ready;
  l.out.write("one\ntwo\npie");
  l.err.write("oops\n");
  await sleep(900);
  l.out.write("ce\n");
  // A line longer than 16 KiB whose newline comes later: its first 16 KiB go out as a piece.
  l.out.write("x".repeat(20000));
  await sleep(200);
  l.out.write("\n");
  l.out.end("tail");
  l.err.end();
  assert.is(await l.exited, 0);
  const got = await records(l.path);
  const text = (stream: string) =>
    got
      .filter((r) => r.stream === stream)
      .map((r) => `${r.partial ? "P" : "F"}:${r.text.slice(0, 12)}:${r.text.length}`);
  assert.equal(text("stdout"), [
    "F:one:3",
    "F:two:3",
    "P:pie:3",
    "F:ce:2",
    `P:${"x".repeat(12)}:16384`,
    `F:${"x".repeat(12)}:3616`,
    "P:tail:4",
  ]);
  assert.equal(text("stderr"), ["F:oops:4"]);
  for (const line of (await readFile(l.path, "utf8")).trimEnd().split("\n")) {
    assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z std(out|err) [FP] /);
  }
});

t("TERM: what was read is written and the logger ends, though the streams stay open", async () => {
  const l = startLogger("term");
  await l.ready;
  l.out.write("said\nhalf");
  await sleep(200);
  l.child.kill("SIGTERM");
  assert.is(await l.exited, 0);
  const got = (await records(l.path)).map((r) => `${r.partial ? "P" : "F"} ${r.text}`);
  assert.equal(got, ["F said", "P half"]);
  l.out.destroy();
  l.err.destroy();
});

t("a quiet logger sleeps until output comes: no timer wakes it while no piece of a line waits", async () => {
  const l = startLogger("quiet");
  await l.ready;
  l.out.write("line\n");
  await sleep(300);
  const pid = l.child.pid as number;
  const before = await wakeups(pid);
  await sleep(1600);
  assert.is(await wakeups(pid), before, "woken while idle");
  // A piece without its newline does arm the timer: it is written after half a second.
  l.out.write("piece");
  await sleep(1200);
  assert.equal(
    (await records(l.path)).map((r) => r.text),
    ["line", "piece"],
  );
  l.out.end();
  l.err.end();
  assert.is(await l.exited, 0);
});

t.run();
