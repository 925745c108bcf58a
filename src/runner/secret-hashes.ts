/**
 * Digests of the secrets desired containers read, taken when planning so a rotated secret shows as
 * a changed field (DESIGN §2: values are never recorded, only a hash). The value is read with the
 * engine's own reader, hashed at once and dropped; only the digest leaves this module.
 */
import { createHash } from "node:crypto";
import { readSecret } from "../engine/secrets.js";
import {
  type ContainerAddress,
  containerAddress,
  type DesiredState,
  formatAddress,
  type HostFacts,
  isKukeError,
  type SecretDigest,
  type SecretRef,
} from "../model/index.js";

/** `sha256:<hex>` of the raw value, the form `specHash` digests take. */
function digestOf(value: Buffer): string {
  return `sha256:${createHash("sha256").update(value).digest("hex")}`;
}

async function digestSecret(
  s: SecretRef,
  address: ContainerAddress,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SecretDigest> {
  try {
    return { valueHash: digestOf(await readSecret(s, address, env)) };
  } catch (e) {
    // readSecret classifies every failure; its messages name the source, never the value.
    if (!isKukeError(e)) throw e;
    return { problem: e.message, ...(e.remedy !== undefined ? { remedy: e.remedy } : {}) };
  }
}

/**
 * Reads every secret source of every desired container (declared in cells or loose) and returns
 * their digests by container address string, then secret name. A source that cannot be read is
 * returned as a problem (the planner turns it into a plan error), not thrown.
 * @param env where `fromEnv` secrets are read, as the engine will at apply time.
 */
export async function secretDigests(
  desired: DesiredState,
  env: Readonly<Record<string, string | undefined>>,
): Promise<NonNullable<HostFacts["secretDigests"]>> {
  const wanted: { address: ContainerAddress; secrets: SecretRef[] }[] = [];
  for (const c of desired.cells) {
    for (const k of c.spec.containers) {
      wanted.push({ address: containerAddress(c.realm, c.space, c.stack, c.name, k.id), secrets: k.secrets });
    }
  }
  for (const l of desired.looseContainers) {
    wanted.push({
      address: containerAddress(l.realm, l.space, l.stack, l.cell, l.name),
      secrets: l.spec.secrets ?? [],
    });
  }
  const out: NonNullable<HostFacts["secretDigests"]> = {};
  await Promise.all(
    wanted
      .filter((w) => w.secrets.length > 0)
      .map(async (w) => {
        const byName: Record<string, SecretDigest> = {};
        for (const s of w.secrets) byName[s.name] = await digestSecret(s, w.address, env);
        out[formatAddress(w.address)] = byName;
      }),
  );
  return out;
}
