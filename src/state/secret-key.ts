/**
 * The run path's secret-digest key. Records must notice a rotated secret (or registry password)
 * without holding anything that lets a reader guess the value back: a plain SHA-256 of a short
 * secret is guessable by trying candidates. So every digest kuke keeps or prints is an HMAC-SHA256
 * keyed with 32 random bytes that live only in this run path (0600), created on first need.
 */
import { createHmac, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, open, readFile, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { ensureDir, FILE_MODE, tempPathFor } from "../fs/atomic-file.js";
import { errnoOf, fsError } from "../fs/fs-errors.js";
import { KukeError } from "../model/errors.js";
import { runPathLayout } from "./run-path.js";

const KEY_BYTES = 32;

/** The prefix of every keyed digest; an unkeyed `sha256:` digest in a record is from an older kuke. */
export const KEYED_DIGEST_PREFIX = "hmac-sha256:";

/** Digests secret values with one run path's key. */
export interface SecretDigester {
  /** `hmac-sha256:<hex>` of `value` under the run path's key. */
  digest(value: string | Uint8Array): string;
}

/**
 * The run path's key, created when missing. Creation is atomic and race-safe: the key is written
 * and fsynced under a temporary name, then hard-linked to its final name, which fails when another
 * kuke got there first; the loser reads the winner's key. So two processes never use two keys.
 * @throws KukeError (fsError) when the run path cannot hold it, `failed-precondition` for a key of the wrong size.
 */
export async function loadSecretKey(runPath: string): Promise<Buffer> {
  const path = runPathLayout(runPath).secretKey;
  const existing = await readKey(path);
  if (existing !== undefined) return existing;
  await ensureDir(dirname(path));
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
    try {
      await fh.writeFile(randomBytes(KEY_BYTES));
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, path);
    } catch (e) {
      if (errnoOf(e) !== "EEXIST") throw e;
    }
  } catch (e) {
    throw fsError(e, "write", path);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  const key = await readKey(path);
  if (key === undefined) throw new KukeError("runtime", `the secret digest key ${path} vanished while it was created`);
  return key;
}

async function readKey(path: string): Promise<Buffer | undefined> {
  let key: Buffer;
  try {
    key = await readFile(path);
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return undefined;
    throw fsError(e, "read", path);
  }
  if (key.length !== KEY_BYTES) {
    throw new KukeError(
      "failed-precondition",
      `the secret digest key ${path} holds ${key.length} bytes, not ${KEY_BYTES}`,
      {
        remedy: `remove ${path}: kuke makes a new one, and containers with secrets restart once on the next apply`,
      },
    );
  }
  return key;
}

/** A digester over `key` (from `loadSecretKey`). */
export function secretDigester(key: Uint8Array): SecretDigester {
  return {
    digest: (value) => `${KEYED_DIGEST_PREFIX}${createHmac("sha256", key).update(value).digest("hex")}`,
  };
}

/** The digester of the run path, loading (or creating) its key on the first digest asked for. */
export function lazySecretDigester(runPath: string): { get(): Promise<SecretDigester> } {
  let pending: Promise<SecretDigester> | undefined;
  return {
    get() {
      pending ??= loadSecretKey(runPath).then(secretDigester);
      return pending;
    },
  };
}
