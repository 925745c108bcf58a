import { randomBytes } from "node:crypto";
import { closeSync, constants, fsync, openSync, renameSync, writeSync } from "node:fs";
import { mkdir, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { errnoOf, fsError } from "./fs-errors.js";
import { isProcessAlive } from "./process-liveness.js";

/** Files in the run path may hold secrets' hashes and registry data: owner only. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

const TEMP_NAME = /^\..+\.tmp-(\d+)-[0-9a-f]+$/;

/** The temporary sibling `writeFileAtomic` writes first: `.<name>.tmp-<pid>-<random>`. */
export function tempPathFor(path: string, pid = process.pid): string {
  return join(dirname(path), `.${basename(path)}.tmp-${pid}-${randomBytes(4).toString("hex")}`);
}

/** True for a name `tempPathFor` makes; readers skip these, they are never committed data. */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** Creates `dir` and any missing parents with mode 0700. */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
  } catch (e) {
    throw fsError(e, "create directory", dir);
  }
}

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the old file or the new
 * one, never a mix: write a temporary file in the same directory (same file system, so rename is
 * atomic), fsync it, rename it over `path`, fsync the directory so the rename itself is durable.
 * The file gets mode 0600; missing parent directories are created 0700. A crash leaves at most a
 * temporary file, which readers ignore and `removeAbandonedTemp` deletes.
 *
 * Only the two fsyncs, which wait for the disk, go to the thread pool; open, write, close and
 * rename of a small file are page-cache work done in place. An apply writes a record per
 * resource, and nine promise round trips per record (a FileHandle each time) cost more of node's
 * CPU than the system calls. The directory is created only when the open finds it missing.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = tempPathFor(path);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  try {
    let fd: number;
    try {
      fd = openSync(tmp, flags, FILE_MODE);
    } catch (e) {
      if (errnoOf(e) !== "ENOENT") throw e;
      await ensureDir(dir);
      fd = openSync(tmp, flags, FILE_MODE);
    }
    try {
      writeAll(fd, typeof data === "string" ? Buffer.from(data) : data);
      await fsyncFd(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw fsError(e, "write", path);
  }
  await syncDir(dir);
}

/** fsync a directory, so that entries created, renamed or removed in it survive a power loss. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await fsyncFd(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw fsError(e, "sync directory", dir);
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
}

/** fsync through the callback API: no FileHandle, one thread-pool round trip. */
function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

/**
 * Deletes `dir/name` if it is a temporary file left by a writer that no longer runs. Files of live
 * writers (including this process) are left alone: deleting one would make its rename fail.
 * @returns true when the file was removed.
 */
export async function removeAbandonedTemp(dir: string, name: string): Promise<boolean> {
  const m = TEMP_NAME.exec(name);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid || isProcessAlive(pid)) return false;
  try {
    await unlink(join(dir, name));
    return true;
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return false;
    throw fsError(e, "remove abandoned temporary file", join(dir, name));
  }
}
