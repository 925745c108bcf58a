import { KukeError } from "../model/index.js";

/** `--lock-timeout` values: `30s`, `500ms`, `2m`, or a plain number of seconds. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) {
    throw new KukeError("usage", `${flag} '${text}' is not a duration`, {
      remedy: `pass e.g. ${flag} 30s (or 500ms, 2m)`,
    });
  }
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return Math.round(unit === "ms" ? n : unit === "m" ? n * 60_000 : n * 1000);
}
