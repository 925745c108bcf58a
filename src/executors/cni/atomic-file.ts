import { randomBytes } from "node:crypto";
import { readFile as readFileCallback } from "node:fs";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Writes `path` so readers see either the old or the new content, never a torn file: a temporary
 * sibling is written and fsynced, then renamed over the target (0600, parent dirs 0700, DESIGN §3).
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readText(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Removes a file; a missing one is success. */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

/**
 * A whole file as UTF-8 through the callback API: fs/promises readFile measured several times
 * slower per small file under Node 20, and attach/detach read a few of these on every call.
 */
export function readText(path: string): Promise<string> {
  return new Promise((resolve, reject) => readFileCallback(path, "utf8", (e, text) => (e ? reject(e) : resolve(text))));
}
