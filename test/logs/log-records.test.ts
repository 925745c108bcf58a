/**
 * The log file's records (what libexec/kuke-log writes) read back: whole and partial lines, times in
 * front with --timestamps, --since by each record's time, lines of an older raw log passed through,
 * and chunks split anywhere.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseRecord, RecordDecoder, recordTimeMs } from "../../src/logs/log-records.js";

const t = suite("logs/log-records");

const T1 = "2026-12-03T10:00:00.000001Z";
const T2 = "2026-12-03T10:05:00.5Z";
const T3 = "2026-12-03T10:10:00Z";
const FILE = [
  `${T1} stdout F first`,
  `${T1} stderr F oops`,
  `${T2} stdout P half `,
  `${T2} stdout F a line`,
  `${T3} stdout F last`,
  "",
].join("\n");

/** Decodes `text` fed in chunks of `size` bytes. */
function decode(text: string, options = {}, size = text.length): string {
  const d = new RecordDecoder(options);
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(d.push(bytes.subarray(i, i + size)));
  out.push(d.end());
  return Buffer.concat(out).toString("utf8");
}

t("records become the container's output, a partial record joined with the next", () => {
  assert.is(decode(FILE), "first\noops\nhalf a line\nlast\n");
  for (const size of [1, 2, 7, 30]) assert.is(decode(FILE, {}, size), "first\noops\nhalf a line\nlast\n", `${size}`);
});

t("--timestamps: each line's time in front, once per line even when it came in pieces", () => {
  assert.is(decode(FILE, { timestamps: true }), `${T1} first\n${T1} oops\n${T2} half a line\n${T3} last\n`);
});

t("--since: only records at or after the moment; a line's pieces go together", () => {
  assert.is(decode(FILE, { sinceMs: Date.parse("2026-12-03T10:01:00Z") }), "half a line\nlast\n");
  assert.is(decode(FILE, { sinceMs: Date.parse("2026-12-03T10:10:00Z") }), "last\n");
  assert.is(decode(FILE, { sinceMs: Date.parse("2026-12-03T10:10:00.001Z") }), "");
  // A partial record before the moment drops its continuation, even one written after it.
  const split = `${T1} stdout P old \n${T3} stdout F end\n${T3} stdout F new\n`;
  assert.is(decode(split, { sinceMs: Date.parse("2026-12-03T10:01:00Z") }), "new\n");
});

t("a log without records (written raw by an older kuke) passes through; --since leaves it out", () => {
  assert.is(decode("plain 1\nplain 2\nno newline"), "plain 1\nplain 2\nno newline\n");
  assert.is(decode("plain 1\n", { sinceMs: 0 }), "");
  assert.is(decode("plain 1\n", { timestamps: true }), "plain 1\n");
});

t("a record cut short at the end of the file is a write under way: left out until it is whole", () => {
  assert.is(decode(`${T1} stdout F one\n${T1} stdout F tw`), "one\n");
  assert.is(decode(`${T1} stdout F one\n2026-12-0`), "one\n");
});

t("a record's text keeps every byte after the tag, separators and UTF-8 included", () => {
  assert.is(decode(`${T1} stdout F  two  spaces | é ✓\n`), " two  spaces | é ✓\n");
  assert.equal(parseRecord(`${T1} stderr P x`), { time: T1, stream: "stderr", partial: true, text: "x" });
  assert.is(parseRecord("2026-12-03 stdout F x"), undefined);
});

t("record times compare at millisecond precision", () => {
  assert.is(recordTimeMs("2026-12-03T10:00:00.123456Z"), Date.parse("2026-12-03T10:00:00.123Z"));
  assert.is(recordTimeMs(T3), Date.parse(T3));
});

t.run();
