/**
 * Container logs on the real host: `kuke logs cell/…` with prefixed lines and `--tail`, the size
 * cap (`logMaxBytes` on the space's container defaults) rotated by the next locked kuke run, a
 * replaced container's log kept as the previous one (`--previous`), and destroy removing both.
 */
import { readFile, stat } from "node:fs/promises";
import { suite } from "uvu";
import * as assert from "uvu/assert";
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
  // The ticker keeps writing: what it appends while kuke reads comes too, so at least one line.
  const one = await h.kuke(["logs", tickerAddr(), "--tail", "1"]);
  assert.match(one.stdout, /^(tick \d+\n)+$/);
  assert.ok(one.stdout.split("\n").length < ticker.length + 20, "not the whole log");
});

t("the cap: a log over logMaxBytes is rotated by the next kuke run, one previous file kept", async () => {
  await waitFor("the ticker's log to pass the cap", async () => (await size(tickerLog())) > CAP * 2, 20_000);
  const before = await size(tickerLog());
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const prev = await readFile(previousLogPath(tickerLog()), "utf8");
  assert.ok(prev.length >= before, `previous ${prev.length} < ${before}`);
  assert.match(prev, /^tick 1\n/);
  assert.ok((await size(tickerLog())) < before, "the current log was emptied in place");
  // The task goes on writing into the same file, at its new end (not a sparse hole).
  await waitFor("new ticks", async () => (await size(tickerLog())) > 0);
  const now = await readFile(tickerLog());
  assert.ok(now[0] !== 0, "no hole of zero bytes at the start");
});

t("a replaced container's log is kept as the previous one; destroy removes both", async () => {
  const last = (await readFile(tickerLog(), "utf8")).trimEnd().split("\n").at(-1) ?? "";
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest, "--replace", tickerAddr()]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const prev = await h.kuke(["logs", tickerAddr(), "--previous"]);
  assert.is(prev.code, 0, prev.stderr);
  const tickOf = (line: string) => Number(line.replace(/^tick /, ""));
  assert.ok(tickOf(prev.stdout.trimEnd().split("\n").at(-1) ?? "") >= tickOf(last), prev.stdout.slice(-200));
  await waitFor("the new container's first ticks", async () =>
    (await readFile(tickerLog(), "utf8").catch(() => "")).startsWith("tick 1\n"),
  );
  const d = await h.kuke(["destroy", "--auto-approve", "-f", h.manifest]);
  assert.is(d.code, 0, d.stdout + d.stderr);
  assert.is(await size(tickerLog()), -1);
  assert.is(await size(previousLogPath(tickerLog())), -1);
});

t.run();
