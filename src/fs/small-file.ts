import { readFile as readFileCallback } from "node:fs";
import { unlink } from "node:fs/promises";
import { errnoOf } from "./fs-errors.js";

/** The file's text, or undefined when it does not exist. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readText(path);
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return undefined;
    throw e;
  }
}

/** Removes a file; a missing one is success. */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if (errnoOf(e) !== "ENOENT") throw e;
  }
}

/**
 * A whole file as UTF-8 through the callback API: fs/promises readFile measured several times
 * slower per small file under Node 20, and attach/detach read a few of these on every call.
 */
export function readText(path: string): Promise<string> {
  return new Promise((resolve, reject) => readFileCallback(path, "utf8", (e, text) => (e ? reject(e) : resolve(text))));
}
