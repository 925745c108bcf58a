import { randomBytes } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { mkdir, open, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ResolvedSecrets } from "../executors/containerd/oci-spec.js";
import { errnoOf } from "../fs/fs-errors.js";
import type { Address, ContainerAddress } from "../model/address.js";
import { KukeError } from "../model/errors.js";
import type { SecretRef } from "../model/types.js";
import { secretDirOf, secretsRoot } from "../state/run-path.js";

/**
 * Secrets are read on the host at apply time: a file's content or an environment variable of the
 * kuke process. Values go into the container (env or a 0400 file under the runtime dir) and
 * nowhere else: no error message, log line or record ever holds one.
 */

/**
 * Reads every secret and writes the mounted ones (0400, directory 0700), replacing earlier files.
 * @throws KukeError `failed-precondition` naming the secret and its source (never its value).
 */
export async function resolveSecrets(
  secrets: SecretRef[],
  address: ContainerAddress,
  runtimeDir: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ResolvedSecrets> {
  const out: ResolvedSecrets = { env: [], files: [] };
  const dir = secretDirOf(runtimeDir, address);
  for (const s of secrets) {
    const value = await readSecret(s, address, env);
    if (s.mountPath === undefined) {
      out.env.push({ name: s.name, value: value.toString("utf8") });
      continue;
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const hostPath = join(dir, s.name);
    // Written beside and renamed, so a running container never reads half a secret. The temporary
    // name does not repeat the secret's (up to 253 characters), so it stays within NAME_MAX; secret
    // names cannot start with '.', so it never meets one.
    const tmp = join(dir, `.${randomBytes(4).toString("hex")}.tmp`);
    await writeFile(tmp, value, { mode: 0o400, flag: "wx" });
    await rename(tmp, hostPath);
    out.files.push({ hostPath, mountPath: s.mountPath });
  }
  return out;
}

/** A secret file holds at most this much (Kubernetes caps a Secret at 1 MiB too). */
export const MAX_SECRET_FILE_BYTES = 1024 * 1024;
/** An injected secret becomes one `NAME=value` environment string: the kernel's MAX_ARG_STRLEN, less its NUL. */
export const MAX_SECRET_ENV_BYTES = 131_071;

/**
 * Reads one secret's value from its source (also used when planning, to digest it). A file source
 * must be a regular file (a FIFO would block, a device never ends) and is read with a size cap; an
 * injected value must fit one environment string.
 * @throws KukeError `failed-precondition` (source unreadable, unset, not a regular file or too large,
 *   with a remedy) or `invalid-spec` (no source), naming the secret and its source, never its value.
 */
export async function readSecret(
  s: SecretRef,
  address: ContainerAddress,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Buffer> {
  const value = await readSource(s, address, env);
  if (s.mountPath === undefined && Buffer.byteLength(s.name) + 1 + value.length > MAX_SECRET_ENV_BYTES) {
    throw new KukeError(
      "failed-precondition",
      `secret ${s.name}: ${sourceOf(s)} holds ${value.length} bytes, too many for an environment variable (${s.name}=value may take at most ${MAX_SECRET_ENV_BYTES} bytes)`,
      {
        address,
        remedy: `give the secret a mountPath so it is mounted as a file (up to ${MAX_SECRET_FILE_BYTES} bytes)`,
      },
    );
  }
  return value;
}

function sourceOf(s: SecretRef): string {
  return s.fromEnv !== undefined ? `environment variable ${s.fromEnv}` : `${s.fromFile}`;
}

async function readSource(
  s: SecretRef,
  address: ContainerAddress,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Buffer> {
  if (s.fromEnv !== undefined) {
    const v = env[s.fromEnv];
    if (v === undefined) {
      throw new KukeError("failed-precondition", `secret ${s.name}: environment variable ${s.fromEnv} is not set`, {
        address,
        remedy: `export ${s.fromEnv} in the environment kuke runs in`,
      });
    }
    return Buffer.from(v, "utf8");
  }
  if (s.fromFile !== undefined) {
    const path = s.fromFile;
    const fail = (why: string, remedy: string) =>
      new KukeError("failed-precondition", `secret ${s.name}: ${path} ${why}`, { address, remedy });
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      // Non-blocking, so a FIFO without a writer is refused below instead of waiting forever.
      fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch (e) {
      const code = errnoOf(e) ?? "error";
      throw new KukeError("failed-precondition", `secret ${s.name}: cannot read ${path} (${code})`, {
        address,
        remedy: `make ${path} readable by kuke`,
      });
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) {
        throw fail(`is ${kindOf(st)}, not a regular file`, "point fromFile at a regular file holding the secret");
      }
      const tooLarge = (size: string) =>
        fail(
          `holds ${size} bytes; a secret file may hold at most ${MAX_SECRET_FILE_BYTES} bytes`,
          "mount large data with a volume instead of a secret",
        );
      if (st.size > MAX_SECRET_FILE_BYTES) throw tooLarge(String(st.size));
      // The file may grow between stat and read: read at most one byte past the cap.
      const buf = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
      let total = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, total, buf.length - total, total);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > MAX_SECRET_FILE_BYTES) throw tooLarge(`more than ${MAX_SECRET_FILE_BYTES}`);
      }
      return Buffer.from(buf.subarray(0, total));
    } catch (e) {
      if (e instanceof KukeError) throw e;
      const code = errnoOf(e) ?? "error";
      throw new KukeError("failed-precondition", `secret ${s.name}: cannot read ${path} (${code})`, {
        address,
        remedy: `make ${path} readable by kuke`,
      });
    } finally {
      await fh.close();
    }
  }
  throw new KukeError("invalid-spec", `secret ${s.name} has neither fromFile nor fromEnv`, { address });
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** Removes the secret files of the address (a container, or all inside a larger one) and the folders that become empty (up to `secrets/`). */
export async function removeSecrets(runtimeDir: string, address: Address): Promise<void> {
  const dir = secretDirOf(runtimeDir, address);
  await rm(dir, { recursive: true, force: true });
  const stop = secretsRoot(runtimeDir);
  for (let d = dirname(dir); d.length > stop.length; d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      break; // not empty or gone: its parents are then not empty either
    }
  }
}
