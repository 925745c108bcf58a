/**
 * Container logs on the real host: kuke's logger writes each line with its time (`--timestamps`,
 * `--since`), `kuke logs cell/…` with prefixed lines and `--tail`, the size cap (`logMaxBytes` on the space's container defaults) rotated by the next locked kuke run, a
 * replaced container's log kept as the previous one (`--previous`), and destroy removing both.
 */
import { readFile, stat } from "node:fs/promises";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { RecordDecoder } from "../../src/logs/index.js";
import { containerAddress } from "../../src/model/index.js";
import { containerLogPath, previousLogPath, runPathLayout } from "../../src/state/run-path.js";
import { SPACE, STACK, type StackHost, stackHost, waitFor } from "./stack-host.js";

const t = suite("e2e/logs");
let h: StackHost;
const CAP = 4096;
let applyLines: { code: number; stdout: string; stderr: string };

t.before(async () => {
  h = await stackHost();
  // A ticker that writes numbered lines quickly, and a small cap on the space's defaults.
  await h.writeManifest((text) =>
    text
      .replace(
        'args: [-c, "while true; do date; sleep 5; done"]',
        'args: [-c, "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.01; done"]',
      )
      .replace(
        "      securityOpts: [no-new-privileges]\n",
        `      securityOpts: [no-new-privileges]\n      logMaxBytes: ${CAP}\n`,
      ),
  );
  // For CI: --progress json, one JSON object per line (checked in the first test).
  applyLines = await h.kuke(["apply", "--auto-approve", "--progress", "json", "-f", h.manifest]);
  if (applyLines.code !== 0) throw new Error(`apply failed: ${applyLines.stdout}${applyLines.stderr}`);
});
t.after(async () => {
  await h?.cleanup();
});

const cellAddr = () => `cell/${h.realm}/${SPACE}/${STACK}/web`;
const tickerAddr = () => `container/${h.realm}/${SPACE}/${STACK}/web/ticker`;
const tickerLog = () =>
  containerLogPath(runPathLayout(h.env.KUKE_RUN_PATH).logs, containerAddress(h.realm, SPACE, STACK, "web", "ticker"));
const size = async (f: string) => (await stat(f).catch(() => undefined))?.size ?? -1;
/** A log file's content as the container wrote it (the file holds the logger's records). */
const output = async (f: string) => {
  const d = new RecordDecoder();
  const bytes = await readFile(f).catch(() => Buffer.alloc(0));
  return Buffer.concat([d.push(bytes), d.end()]).toString("utf8");
};
const RECORD = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) stdout F (tick \d+)$/;

t("apply --progress json: the step count, every step's events, the result last, a JSON object a line", () => {
  const lines = applyLines.stdout
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const first = lines[0]!;
  const last = lines.at(-1)!;
  assert.is(first.type, "steps");
  const total = first.total as number;
  assert.ok(total > 10, String(total));
  assert.is(last.type, "result");
  assert.is(last.status, "succeeded");
  const starts = lines.filter((l) => l.type === "start").length;
  const ends = lines.filter((l) => l.type === "succeed").length;
  assert.is(starts, total);
  assert.is(ends, total);
});

t("kuke logs cell/…: every container's lines, prefixed; --tail per container", async () => {
  await waitFor(
    "ticker lines",
    async () => (await readFile(tickerLog(), "utf8").catch(() => "")).split("\n").length > 5,
  );
  const r = await h.kuke(["logs", cellAddr(), "--tail", "2"]);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  const ticker = lines.filter((l) => l.startsWith("ticker | "));
  assert.is(ticker.length, 2, r.stdout);
  for (const l of ticker) assert.match(l, /^ticker \| tick \d+$/);
  assert.ok(
    lines.every((l) => /^(httpd |ticker) \| /.test(l)),
    r.stdout,
  );
  // The ticker keeps writing while kuke reads: what it appends meanwhile does not come too.
  const one = await h.kuke(["logs", tickerAddr(), "--tail", "1"]);
  assert.match(one.stdout, /^tick \d+\n$/);
});

t("the log file holds a record per line: its time, stream and text, as kuke's logger writes it", async () => {
  await waitFor("ticker lines", async () => (await output(tickerLog())).split("\n").length > 20);
  const records = (await readFile(tickerLog(), "utf8")).split("\n").slice(0, 20);
  for (const r of records) assert.match(r, RECORD);
  const times = records.map((r) => RECORD.exec(r)![1]!);
  assert.equal([...times].sort(), times, "in the order written");
  assert.is(RECORD.exec(records[0]!)![2], "tick 1");
});

t("--timestamps puts each line's time in front; --since keeps what was written from a moment on", async () => {
  const stamped = await h.kuke(["logs", tickerAddr(), "--timestamps"]);
  assert.is(stamped.code, 0, stamped.stderr);
  const lines = stamped.stdout.trimEnd().split("\n");
  for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z tick \d+$/);
  // A moment between two lines: the line written at it and what came after, not the lines before.
  const mid = lines[Math.floor(lines.length / 2)]!;
  const [time, , n] = mid.split(" ");
  const since = await h.kuke(["logs", tickerAddr(), "--timestamps", "--since", time!]);
  assert.is(since.code, 0, since.stderr);
  const kept = since.stdout.trimEnd().split("\n");
  const ms = (l: string) => Date.parse(l.split(" ")[0]!.replace(/(\.\d{3})\d+Z$/, "$1Z"));
  assert.ok(
    kept.every((l) => ms(l) >= ms(mid)),
    "nothing before --since",
  );
  assert.ok(
    kept.some((l) => l.endsWith(` tick ${n}`)),
    `tick ${n} is kept`,
  );
  assert.ok(kept.length < lines.length + 50 && !kept.includes(lines[0]!), "the earlier lines are left out");
  // A duration back from now: an hour covers the whole log; a moment to come leaves nothing.
  const hour = await h.kuke(["logs", tickerAddr(), "--since", "1h"]);
  assert.match(hour.stdout, /^tick 1\n/);
  const later = new Date(Date.now() + 3_600_000).toISOString();
  const none = await h.kuke(["logs", tickerAddr(), "--since", later]);
  assert.is([none.code, none.stdout].join(" "), "0 ");
  // For a cell, the name, then the time.
  const cell = await h.kuke(["logs", cellAddr(), "--tail", "1", "--timestamps"]);
  assert.match(cell.stdout, /^ticker \| \d{4}-\d\d-\d\dT[\d:.]+Z tick \d+$/m);
  const bad = await h.kuke(["logs", tickerAddr(), "--since", "yesterday"]);
  assert.is(bad.code, 64, bad.stderr);
  assert.match(bad.stderr, "--since 'yesterday' is neither a duration nor a time");
});

t("the cap: a log over logMaxBytes is rotated by the next kuke run, one previous file kept", async () => {
  await waitFor("the ticker's log to pass the cap", async () => (await size(tickerLog())) > CAP * 2, 20_000);
  const before = await size(tickerLog());
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const prev = await readFile(previousLogPath(tickerLog()), "utf8");
  assert.ok(prev.length >= before, `previous ${prev.length} < ${before}`);
  assert.match(prev, /^\S+ stdout F tick 1\n/);
  assert.ok((await size(tickerLog())) < before, "the current log was emptied in place");
  // The task goes on writing into the same file, at its new end (not a sparse hole).
  await waitFor("new ticks", async () => (await size(tickerLog())) > 0);
  const now = await readFile(tickerLog());
  assert.ok(now[0] !== 0, "no hole of zero bytes at the start");
});

t("a replaced container's log is kept as the previous one; destroy removes both", async () => {
  const last = (await output(tickerLog())).trimEnd().split("\n").at(-1) ?? "";
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest, "--replace", tickerAddr()]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const prev = await h.kuke(["logs", tickerAddr(), "--previous"]);
  assert.is(prev.code, 0, prev.stderr);
  const tickOf = (line: string) => Number(line.replace(/^tick /, ""));
  assert.ok(tickOf(prev.stdout.trimEnd().split("\n").at(-1) ?? "") >= tickOf(last), prev.stdout.slice(-200));
  await waitFor("the new container's first ticks", async () => (await output(tickerLog())).startsWith("tick 1\n"));
  const d = await h.kuke(["destroy", "--auto-approve", "-f", h.manifest]);
  assert.is(d.code, 0, d.stdout + d.stderr);
  assert.is(await size(tickerLog()), -1);
  assert.is(await size(previousLogPath(tickerLog())), -1);
});

t.run();
