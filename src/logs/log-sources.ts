/**
 * `kuke logs` over one container or every container of a cell: the last N lines (`tail`), the
 * previous log instead of the current one, and lines prefixed with the container's name when
 * several are shown (as compose does). Following reads all of them at once until the signal.
 */
import { type FileHandle, open } from "node:fs/promises";
import type { ContainerAddress } from "../model/index.js";
import { type ReadLogsOptions, readLogs } from "./read-logs.js";

export interface LogSource {
  container: ContainerAddress;
  /** The container's current log file. */
  path: string;
  /** Its previous log (`src/state/run-path.ts`'s `previousLogPath`). */
  previousPath: string;
}

export interface LogSourcesOptions {
  write: (chunk: Buffer) => void | Promise<void>;
  /** @default false */
  follow?: boolean;
  signal?: AbortSignal;
  /** Only the last N lines of each log (then what follows, with `follow`). */
  tail?: number;
  /** Read the previous log (kept at a replace or a rotation) instead of the current one. @default false */
  previous?: boolean;
  /** Prefix each line with `<container> | ` (the default when there is more than one source). */
  prefix?: boolean;
  /** @default 250 */
  pollMs?: number;
  /** Each line's time in front of it (`--timestamps`). @default false */
  timestamps?: boolean;
  /** Only lines written at or after this time, in milliseconds since the epoch (`--since`). */
  sinceMs?: number;
}

/**
 * Writes the logs of `sources`: one after the other without `follow`, all at once with it. Each
 * line of a prefixed source is written whole, so lines of different containers never mix.
 */
export async function readLogSources(sources: readonly LogSource[], o: LogSourcesOptions): Promise<void> {
  const prefix = o.prefix ?? sources.length > 1;
  const width = Math.max(0, ...sources.map((s) => s.container.container.length));
  const one = async (s: LogSource) => {
    const path = o.previous ? s.previousPath : s.path;
    const lines = prefix ? new LinePrefixer(`${s.container.container.padEnd(width)} | `, o.write) : undefined;
    const read: ReadLogsOptions = {
      write: lines ? (chunk) => lines.push(chunk) : o.write,
      follow: o.follow ?? false,
      address: s.container,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
      ...(o.timestamps ? { timestamps: true } : {}),
      ...(o.sinceMs !== undefined ? { sinceMs: o.sinceMs } : {}),
      ...(o.tail !== undefined ? await tailRange(path, o.tail) : {}),
    };
    await readLogs(path, read);
    await lines?.end();
  };
  if (o.follow) await Promise.all(sources.map(one));
  else for (const s of sources) await one(s);
}

/** Writes whole lines with a prefix; a partial line waits for its end (or for `end`). */
class LinePrefixer {
  private pending = Buffer.alloc(0);
  constructor(
    private readonly prefix: string,
    private readonly write: (chunk: Buffer) => void | Promise<void>,
  ) {}

  async push(chunk: Buffer): Promise<void> {
    const data = Buffer.concat([this.pending, chunk]);
    const last = data.lastIndexOf(0x0a);
    if (last === -1) {
      this.pending = data;
      return;
    }
    this.pending = Buffer.from(data.subarray(last + 1));
    const out: Buffer[] = [];
    let start = 0;
    while (start <= last) {
      const nl = data.indexOf(0x0a, start);
      out.push(Buffer.from(this.prefix), data.subarray(start, nl + 1));
      start = nl + 1;
    }
    await this.write(Buffer.concat(out));
  }

  async end(): Promise<void> {
    if (this.pending.length === 0) return;
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    await this.write(Buffer.concat([Buffer.from(this.prefix), rest, Buffer.from("\n")]));
  }
}

const BACK_CHUNK = 64 * 1024;

/**
 * Where the last `n` lines of the file start (a final newline ends the last line, it does not
 * start another), and where the file ended when they were found: a log still being written gets
 * lines appended meanwhile, and `--tail 2` shows two lines, not what came after them too. Reads
 * backwards from the end, so a large log costs what the lines do. A missing file is `{from: 0}`
 * (reading it then reports it missing).
 */
export async function tailRange(path: string, n: number): Promise<{ from: number; to?: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch {
    return { from: 0 };
  }
  try {
    const { size } = await handle.stat();
    if (n <= 0) return { from: size, to: size };
    let end = size;
    let newlines = 0;
    const buf = Buffer.alloc(BACK_CHUNK);
    // The file's last byte, if a newline, ends the last line and is not counted.
    let skipLast = size > 0 && (await byteAt(handle, size - 1)) === 0x0a;
    while (end > 0) {
      const start = Math.max(0, end - BACK_CHUNK);
      const { bytesRead } = await handle.read(buf, 0, end - start, start);
      for (let i = bytesRead - 1; i >= 0; i--) {
        if (buf[i] !== 0x0a) continue;
        if (skipLast) {
          skipLast = false;
          continue;
        }
        newlines++;
        if (newlines === n) return { from: start + i + 1, to: size };
      }
      end = start;
    }
    return { from: 0, to: size };
  } finally {
    await handle.close();
  }
}

async function byteAt(handle: FileHandle, at: number): Promise<number | undefined> {
  const b = Buffer.alloc(1);
  const { bytesRead } = await handle.read(b, 0, 1, at);
  return bytesRead === 1 ? b[0] : undefined;
}
