import { loadManifests, type ManifestSource } from "../../manifest/load.js";
import { KukeError, type RegistryCredential } from "../../model/index.js";

/**
 * The registry logins realm `realm` declares in `sources`. Records keep only a digest of each
 * password, so the files are the one place a pull can get a usable login from.
 * @throws KukeError `invalid-spec` when the files do not validate, `not-found` when they do not declare the realm.
 */
export function realmCredentialsFromManifests(sources: ManifestSource[], realm: string): RegistryCredential[] {
  const loaded = loadManifests(sources);
  if (loaded.errorCount > 0) {
    throw new KukeError("invalid-spec", `the manifests have ${loaded.errorCount} error(s)`, {
      remedy: `see kuke validate ${sources.map((s) => `-f ${s.file}`).join(" ")}`,
    });
  }
  const found = loaded.state.realms.find((r) => r.name === realm);
  if (found === undefined) {
    throw new KukeError("not-found", `the manifests do not declare realm ${realm}`, {
      remedy: "pass the file that declares the realm with -f, or leave -f out to pull anonymously",
    });
  }
  return found.spec.registryCredentials;
}
