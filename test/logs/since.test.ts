/** `kuke logs --since`: durations back from now, RFC 3339 times, epoch seconds; anything else a usage error. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseSince } from "../../src/logs/since.js";
import { isKukeError } from "../../src/model/index.js";

const t = suite("logs/since");
const NOW = Date.parse("2026-12-03T12:00:00Z");

t("durations count back from now", () => {
  assert.is(parseSince("10m", NOW), NOW - 600_000);
  assert.is(parseSince("2h", NOW), NOW - 7_200_000);
  assert.is(parseSince("1h30m", NOW), NOW - 5_400_000);
  assert.is(parseSince("90s", NOW), NOW - 90_000);
  assert.is(parseSince("500ms", NOW), NOW - 500);
  assert.is(parseSince("1.5h", NOW), NOW - 5_400_000);
  assert.is(parseSince("1d", NOW), NOW - 86_400_000);
});

t("times: RFC 3339 with a zone, fractions, epoch seconds", () => {
  assert.is(parseSince("2026-12-03T10:00:00Z", NOW), Date.parse("2026-12-03T10:00:00Z"));
  assert.is(parseSince("2026-12-03T12:00:00+02:00", NOW), Date.parse("2026-12-03T10:00:00Z"));
  assert.is(parseSince("2026-12-03T10:00:00.250Z", NOW), Date.parse("2026-12-03T10:00:00.250Z"));
  assert.is(parseSince("1764756000", NOW), 1_764_756_000_000);
});

t("a time without a zone, or a date alone, is the host's local time (as docker reads it)", () => {
  assert.is(parseSince("2026-12-03T10:00:00", NOW), new Date(2026, 11, 3, 10, 0, 0).getTime());
  assert.is(parseSince("2026-12-03", NOW), new Date(2026, 11, 3).getTime());
});

t("anything else is a usage error with a remedy", () => {
  for (const bad of ["", "ten minutes", "10x", "-5m", "2026-13-45T00:00:00Z", "yesterday", "m"]) {
    const e = (() => {
      try {
        parseSince(bad, NOW);
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    assert.ok(isKukeError(e, "usage"), `${bad}: ${String(e)}`);
    assert.match((e as Error).message, "--since");
  }
});

t.run();
