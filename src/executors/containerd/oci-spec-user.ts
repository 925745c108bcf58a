import type { ContainerAddress } from "../../model/address.js";
import { KukeError } from "../../model/errors.js";

/**
 * Resolves a container's `user` (`uid[:gid]`, or names when the image's `/etc/passwd` and
 * `/etc/group` were read) to numeric ids, as docker does: no user means root; a uid without a gid
 * takes the primary group from passwd, else 0.
 */

/** The image's account files, when the caller read them from the unpacked rootfs. */
export interface AccountFiles {
  passwd?: string;
  group?: string;
}

interface Entry {
  name: string;
  id: number;
  gid?: number;
}

function parseEntries(text: string | undefined, withGid: boolean): Entry[] {
  const out: Entry[] = [];
  for (const line of (text ?? "").split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const f = line.split(":");
    const id = Number(f[2]);
    if (f[0] === undefined || !Number.isInteger(id)) continue;
    const e: Entry = { name: f[0], id };
    if (withGid && Number.isInteger(Number(f[3])) && f[3] !== "") e.gid = Number(f[3]);
    out.push(e);
  }
  return out;
}

const NUMERIC = /^[0-9]+$/;

export function resolveUser(
  user: string | undefined,
  accounts: AccountFiles,
  address: ContainerAddress,
): { uid: number; gid: number } {
  if (user === undefined || user === "") return { uid: 0, gid: 0 };
  const [u = "", g] = user.split(":", 2);
  const users = parseEntries(accounts.passwd, true);
  const fail = (what: string, name: string) =>
    new KukeError("invalid-spec", `${what} '${name}' of user '${user}' cannot be resolved`, {
      address,
      detail:
        accounts[what === "user" ? "passwd" : "group"] === undefined
          ? `kuke resolves names only from the image's /etc/${what === "user" ? "passwd" : "group"}, which was not available`
          : `the image's /etc/${what === "user" ? "passwd" : "group"} has no entry '${name}'`,
      remedy: 'use a numeric user, e.g. user: "1000:1000"',
    });
  let uid: number;
  let primaryGid: number | undefined;
  if (NUMERIC.test(u)) {
    uid = Number(u);
    primaryGid = users.find((e) => e.id === uid)?.gid;
  } else {
    const e = users.find((x) => x.name === u);
    if (e === undefined) throw fail("user", u);
    uid = e.id;
    primaryGid = e.gid;
  }
  if (g === undefined || g === "") return { uid, gid: primaryGid ?? 0 };
  if (NUMERIC.test(g)) return { uid, gid: Number(g) };
  const ge = parseEntries(accounts.group, false).find((x) => x.name === g);
  if (ge === undefined) throw fail("group", g);
  return { uid, gid: ge.id };
}
