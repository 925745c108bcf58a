import { KukeError } from "../../model/errors.js";

/** `a.b.c.d/p` → [network as uint32, prefix]; the prefix must be at most `maxPrefix`. */
export function parseCidr(cidr: string, maxPrefix = 32): [number, number] {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || prefix < 0 || prefix > maxPrefix) {
    throw new KukeError("invalid-spec", `invalid IPv4 pool ${cidr}`, {
      detail: `expected a.b.c.d/p with p ≤ ${maxPrefix}`,
    });
  }
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return [ip - (ip % size), prefix];
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}
