/**
 * Which ports processes on the host hold, from the kernel's socket tables (`/proc/net/tcp`,
 * `tcp6`, `udp`, `udp6` of kuke's own network namespace, the host's): listening TCP sockets and
 * bound UDP sockets. Published ports (portmap's DNAT) hold no socket, so they are not in here:
 * kuke knows its own from the attachment records. Four file reads, no process.
 */
import { readFile } from "node:fs/promises";
import type { BoundPort } from "../../model/actual-state.js";

const TCP_LISTEN = "0A";

/** Every listening TCP and bound UDP socket of the host, once each. */
export async function listBoundPorts(procNet = "/proc/net"): Promise<BoundPort[]> {
  const tables = await Promise.all(
    (["tcp", "tcp6", "udp", "udp6"] as const).map(async (t) => ({
      t,
      text: await readFile(`${procNet}/${t}`, "utf8").catch(() => ""),
    })),
  );
  const seen = new Set<string>();
  const out: BoundPort[] = [];
  for (const { t, text } of tables) {
    const protocol = t.startsWith("tcp") ? "tcp" : "udp";
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      const local = f[1];
      const state = f[3];
      if (local === undefined || state === undefined) continue;
      if (protocol === "tcp" && state !== TCP_LISTEN) continue;
      const [hexAddr, hexPort] = local.split(":");
      if (hexAddr === undefined || hexPort === undefined) continue;
      const address = hexAddr.length === 8 ? ipv4(hexAddr) : ipv6(hexAddr);
      const port = Number.parseInt(hexPort, 16);
      const key = `${protocol} ${address}:${port}`;
      if (port === 0 || seen.has(key)) continue;
      seen.add(key);
      out.push({ protocol, address, port });
    }
  }
  return out;
}

/** `0100007F` (little-endian, as the kernel prints it) → `127.0.0.1`. */
function ipv4(hex: string): string {
  const b = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return `${b[3]}.${b[2]}.${b[1]}.${b[0]}`;
}

/** Four little-endian 32-bit words → the address, `::` for any, `::ffff:a.b.c.d` mapped as its IPv4. */
function ipv6(hex: string): string {
  if (/^0+$/.test(hex)) return "::";
  const words = [0, 8, 16, 24].map((i) => hex.slice(i, i + 8));
  if (words[0] === "00000000" && words[1] === "00000000" && words[2]?.toUpperCase() === "FFFF0000") {
    return ipv4(words[3]!);
  }
  const bytes = words.flatMap((w) => [6, 4, 2, 0].map((i) => w.slice(i, i + 2)));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(Number.parseInt(bytes[i]! + bytes[i + 1]!, 16).toString(16));
  return groups.join(":");
}
