import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
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
    // Written beside and renamed, so a running container never reads half a secret.
    const tmp = `${hostPath}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(tmp, value, { mode: 0o400, flag: "wx" });
    await rename(tmp, hostPath);
    out.files.push({ hostPath, mountPath: s.mountPath });
  }
  return out;
}

/**
 * Reads one secret's value from its source (also used when planning, to digest it).
 * @throws KukeError `failed-precondition` (source unreadable or unset, with a remedy) or `invalid-spec`
 *   (no source), naming the secret and its source, never its value.
 */
export async function readSecret(
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
    try {
      return await readFile(s.fromFile);
    } catch (e) {
      const code = errnoOf(e) ?? "error";
      throw new KukeError("failed-precondition", `secret ${s.name}: cannot read ${s.fromFile} (${code})`, {
        address,
        remedy: `make ${s.fromFile} readable by kuke`,
      });
    }
  }
  throw new KukeError("invalid-spec", `secret ${s.name} has neither fromFile nor fromEnv`, { address });
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
