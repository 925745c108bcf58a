import type { RegistryCredential } from "../../model/types.js";
import { credentialRegistry, isLoopbackRegistry } from "./reference.js";

/**
 * Registry authentication (distribution `token.md`): a `WWW-Authenticate` challenge on a 401
 * says whether to send Basic credentials or to fetch a Bearer token from a realm first.
 */

export type Challenge =
  | { scheme: "bearer"; realm: string; service?: string; scope?: string }
  | { scheme: "basic"; realm?: string };

/**
 * Parses `WWW-Authenticate` (`Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`).
 * Returns undefined for a missing or unknown scheme.
 */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/g;
  for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : (p[3] ?? "");
  }
  const scheme = m[1]!.toLowerCase();
  if (scheme === "bearer" && params.realm) {
    return {
      scheme: "bearer",
      realm: params.realm,
      ...(params.service !== undefined ? { service: params.service } : {}),
      ...(params.scope !== undefined ? { scope: params.scope } : {}),
    };
  }
  if (scheme === "basic") return { scheme: "basic", ...(params.realm !== undefined ? { realm: params.realm } : {}) };
  return undefined;
}

/**
 * The credential for `registry`: one whose `serverAddress` names it, else one with no
 * `serverAddress` (meaning any registry), else none (anonymous).
 */
export function findCredential(
  credentials: readonly RegistryCredential[],
  registry: string,
): RegistryCredential | undefined {
  return (
    credentials.find((c) => c.serverAddress && credentialRegistry(c.serverAddress) === registry) ??
    credentials.find((c) => !c.serverAddress)
  );
}

export function basicAuthorization(c: RegistryCredential): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

/**
 * Whether credentials may be sent to `url`: only over HTTPS, or plain HTTP to this machine. A
 * challenge could name any realm; a password must not leave the host unencrypted because of it.
 */
export function mayCarryCredentials(url: string): boolean {
  const u = new URL(url);
  return u.protocol === "https:" || (u.protocol === "http:" && isLoopbackRegistry(u.host));
}
