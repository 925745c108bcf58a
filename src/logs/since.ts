/**
 * `kuke logs --since`: a duration back from now (`10m`, `2h`, `1h30m`, `90s`, `500ms`, `1d`), a
 * time (RFC 3339: `2026-12-03T10:00:00Z`, `2026-12-03T12:00:00+02:00`; without a zone it is the
 * host's local time, as docker reads it), or seconds since the epoch (`1764756000`, as docker
 * also takes).
 */
import { KukeError } from "../model/index.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const TIME = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?)?$/i;

/**
 * The moment `text` names, in milliseconds since the epoch; `nowMs` is what durations count back
 * from. @throws KukeError `usage` for anything else.
 */
export function parseSince(text: string, nowMs: number): number {
  const t = text.trim();
  if (DURATION.test(t)) {
    let ms = 0;
    for (const m of t.matchAll(PART)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    return nowMs - Math.round(ms);
  }
  if (/^\d+(?:\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  if (TIME.test(t)) {
    // A date alone is midnight local time, like a time without a zone (Date.parse reads it as UTC).
    const value = Date.parse(/^\d{4}-\d\d-\d\d$/.test(t) ? `${t}T00:00:00` : t.replace(" ", "T"));
    if (!Number.isNaN(value)) return value;
  }
  throw new KukeError("usage", `--since '${text}' is neither a duration nor a time`, {
    remedy: "pass a duration back from now (--since 10m, 2h, 1h30m) or a time (--since 2026-12-03T10:00:00Z)",
  });
}
