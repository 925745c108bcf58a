/**
 * Digests of the secrets desired containers read and of the realms' registry passwords, taken when
 * planning so a rotated secret shows as a changed field (DESIGN §2: values are never recorded, only
 * a digest). The value is read with the engine's own reader, digested at once and dropped; only the
 * digest leaves this module. Digests are HMACs keyed with the run path's own key
 * (`state/secret-key.ts`), so a record or an output holding one does not let anyone guess a short
 * secret back.
 */
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
import type { SecretDigester } from "../state/index.js";

/** The run path's digester, asked for only when something needs digesting (the key is made on first need). */
export interface DigesterSource {
  get(): Promise<SecretDigester>;
}

async function digestSecret(
  s: SecretRef,
  address: ContainerAddress,
  env: Readonly<Record<string, string | undefined>>,
  digester: DigesterSource,
): Promise<SecretDigest> {
  try {
    const value = await readSecret(s, address, env);
    return { valueHash: (await digester.get()).digest(value) };
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
  digester: DigesterSource,
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
        for (const s of w.secrets) byName[s.name] = await digestSecret(s, w.address, env, digester);
        out[formatAddress(w.address)] = byName;
      }),
  );
  return out;
}

/**
 * The keyed digest of each realm's registry passwords, by realm name, in declaration order: what
 * records keep of them. Realms without logins are left out.
 */
export async function credentialDigests(
  desired: DesiredState,
  digester: DigesterSource,
): Promise<NonNullable<HostFacts["credentialDigests"]>> {
  const out: NonNullable<HostFacts["credentialDigests"]> = {};
  for (const r of desired.realms) {
    if (r.spec.registryCredentials.length === 0) continue;
    const d = await digester.get();
    out[r.name] = r.spec.registryCredentials.map((c) => d.digest(c.password));
  }
  return out;
}
