/**
 * `kuke logs ADDR [--follow]`: prints a container's captured stdout+stderr from its log file (the
 * logger's records, decoded by `log-records.ts`), and with `follow` keeps printing what the task
 * appends until the signal aborts.
 */
import { watch } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { errnoOf } from "../fs/fs-errors.js";
import { type ContainerAddress, formatAddress, KukeError } from "../model/index.js";
import { type DecodeOptions, RecordDecoder } from "./log-records.js";

export interface ReadLogsOptions extends DecodeOptions {
  /** Where the bytes go (the command's stdout). Awaited, so a slow consumer slows the reader. */
  write: (chunk: Buffer) => void | Promise<void>;
  /** Keep reading what is appended after the end is reached. @default false */
  follow?: boolean;
  /** Ends following (Ctrl-C); reading stops at the next chunk boundary and the call resolves. */
  signal?: AbortSignal;
  /**
   * How often to look for new bytes when following, besides file-change events (which can be
   * missed, e.g. on some overlay or network file systems). @default 250
   */
  pollMs?: number;
  /** The container, for the error message and remedy when there is no log. */
  address?: ContainerAddress;
  /** Where to start reading (e.g. the start of the last N lines). @default 0 */
  from?: number;
  /**
   * Without `follow`, where to stop: the file's end when `from` was found, so lines appended since
   * do not come too. Following reads past it. @default the end of the file
   */
  to?: number;
}

const CHUNK = 64 * 1024;

/**
 * Writes the log from its start. Without `follow` it resolves at the end of the file; with
 * `follow` it resolves when `signal` aborts. A log file that is truncated (or replaced by a
 * shorter one) while followed is read again from its start. Throws `not-found` when the file does
 * not exist (the container never ran), `permission` when it cannot be read.
 */
export async function readLogs(logPath: string, options: ReadLogsOptions): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(logPath, "r");
  } catch (e) {
    throw classify(e, logPath, options.address);
  }
  const decoder = new RecordDecoder(options);
  try {
    let offset = await drain(handle, options.from ?? 0, options, decoder, options.follow ? undefined : options.to);
    if (!options.follow) return await flush(decoder, options);
    const signal = options.signal;
    if (signal?.aborted) return;
    let wake: (() => void) | undefined;
    const nudge = () => wake?.();
    // fs.watch can fail (the inode is gone, or no inotify watches are left); polling still works.
    let watcher: ReturnType<typeof watch> | undefined;
    try {
      watcher = watch(logPath, { persistent: false }, nudge);
      watcher.on("error", () => undefined);
    } catch {
      watcher = undefined;
    }
    signal?.addEventListener("abort", nudge, { once: true });
    try {
      while (!signal?.aborted) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollMs ?? 250);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        if (signal?.aborted) break;
        const { size } = await handle.stat();
        if (size < offset) {
          offset = 0;
          decoder.reset();
        }
        offset = await drain(handle, offset, options, decoder);
      }
      await flush(decoder, options);
    } finally {
      watcher?.close();
      signal?.removeEventListener("abort", nudge);
    }
  } finally {
    await handle.close();
  }
}

/** Writes what the decoder still holds (a last line without its newline). */
async function flush(decoder: RecordDecoder, options: ReadLogsOptions): Promise<void> {
  const rest = decoder.end();
  if (rest.length > 0) await options.write(rest);
}

/** Writes everything from `offset` to the current end (or `to`), decoded; returns the new offset. */
async function drain(
  handle: FileHandle,
  offset: number,
  options: ReadLogsOptions,
  decoder: RecordDecoder,
  to?: number,
): Promise<number> {
  const buf = Buffer.alloc(CHUNK);
  for (;;) {
    if (options.follow && options.signal?.aborted) return offset;
    const want = to === undefined ? CHUNK : Math.min(CHUNK, to - offset);
    if (want <= 0) return offset;
    const { bytesRead } = await handle.read(buf, 0, want, offset);
    if (bytesRead === 0) return offset;
    offset += bytesRead;
    const out = decoder.push(Buffer.from(buf.subarray(0, bytesRead)));
    if (out.length > 0) await options.write(out);
  }
}

/** The one place file errors of this module become KukeErrors. */
function classify(e: unknown, logPath: string, address: ContainerAddress | undefined): KukeError {
  const code = errnoOf(e);
  const where = address ? formatAddress(address) : logPath;
  if (code === "ENOENT" || code === "ENOTDIR") {
    return new KukeError("not-found", `no logs for ${where}`, {
      address,
      detail: `${logPath} does not exist: the container has not been started yet, or its logs were removed`,
      remedy: address
        ? `kuke start container ${address.container} --realm ${address.realm} --space ${address.space} --stack ${address.stack} --cell ${address.cell}`
        : "start the container, then read its logs again",
      cause: e,
    });
  }
  if (code === "EACCES" || code === "EPERM") {
    return new KukeError("permission", `cannot read ${logPath}`, {
      address,
      remedy: "run kuke as root (logs are readable by root only)",
      cause: e,
    });
  }
  return new KukeError("runtime", `cannot read ${logPath}`, { address, detail: String(e), cause: e });
}
