/**
 * The log file's records, as kuke's logger writes them (`libexec/kuke-log`), one per line:
 *
 *     <time, RFC 3339 in UTC> <stdout|stderr> <F|P> <text>
 *
 * F ends a line of the container's output, P is a piece of one (the text goes on in the next
 * record). `RecordDecoder` turns the file's bytes back into the container's output, optionally
 * with each line's time in front (`--timestamps`) and only from a moment on (`--since`). A line
 * that is not a record (a log written by a kuke before the logger, whose shim wrote raw bytes) is
 * passed through as it is; having no time, it is left out when `since` is set.
 */

export interface DecodeOptions {
  /** Put each line's time (as recorded, RFC 3339) and a space in front of it. @default false */
  timestamps?: boolean;
  /** Only records written at or after this time (milliseconds since the epoch). */
  sinceMs?: number;
}

const RECORD = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (stdout|stderr) ([FP]) /;
const NL = 0x0a;

/** Parses one record line (without its newline); undefined when it is not a record. */
export function parseRecord(
  line: string,
): { time: string; stream: "stdout" | "stderr"; partial: boolean; text: string } | undefined {
  const m = RECORD.exec(line);
  if (!m) return undefined;
  return {
    time: m[1] as string,
    stream: m[2] as "stdout" | "stderr",
    partial: m[3] === "P",
    text: line.slice(m[0].length),
  };
}

/** Milliseconds since the epoch of a record's time (sub-millisecond digits dropped). */
export function recordTimeMs(time: string): number {
  return Date.parse(time.replace(/(\.\d{3})\d+Z$/, "$1Z"));
}

/**
 * Bytes of a log file in, the container's output out. Feed it in order with `push`; `end` gives
 * what is left of a last line the file does not end with a newline.
 */
export class RecordDecoder {
  private pending = Buffer.alloc(0);
  /** Whether the next output starts a line (a P record leaves it mid-line). */
  private atLineStart = true;
  /** Whether the P record before was dropped by `sinceMs`: its continuation is dropped too. */
  private dropping = false;
  /** Whether any record was read: then a last line without its newline is a write still under way. */
  private sawRecord = false;

  constructor(private readonly options: DecodeOptions = {}) {}

  push(chunk: Buffer): Buffer {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const last = data.lastIndexOf(NL);
    if (last === -1) {
      this.pending = Buffer.from(data);
      return Buffer.alloc(0);
    }
    this.pending = Buffer.from(data.subarray(last + 1));
    const out: string[] = [];
    let start = 0;
    while (start <= last) {
      const nl = data.indexOf(NL, start);
      out.push(this.line(data.toString("utf8", start, nl)));
      start = nl + 1;
    }
    return Buffer.from(out.join(""));
  }

  /**
   * The rest of a last line without a newline: printed for a raw log, left out of a log of records,
   * where it is the logger's write still under way (every record ends with a newline; the whole
   * record shows on the next read).
   */
  end(): Buffer {
    if (this.pending.length === 0) return Buffer.alloc(0);
    const rest = this.pending.toString("utf8");
    this.pending = Buffer.alloc(0);
    return this.sawRecord ? Buffer.alloc(0) : Buffer.from(this.line(rest));
  }

  /** Forgets a partial line, e.g. when the file was truncated and is read again from its start. */
  reset(): void {
    this.pending = Buffer.alloc(0);
    this.atLineStart = true;
    this.dropping = false;
    this.sawRecord = false;
  }

  private line(line: string): string {
    const r = parseRecord(line);
    const since = this.options.sinceMs;
    if (r === undefined) {
      if (since !== undefined) return "";
      this.atLineStart = true;
      return `${line}\n`;
    }
    this.sawRecord = true;
    if (this.dropping || (since !== undefined && this.atLineStart && recordTimeMs(r.time) < since)) {
      // A line before `since`, or the rest of one: a P record's continuation goes with it.
      this.dropping = r.partial;
      return "";
    }
    const stamp = this.options.timestamps && this.atLineStart ? `${r.time} ` : "";
    this.atLineStart = !r.partial;
    return `${stamp}${r.text}${r.partial ? "" : "\n"}`;
  }
}
