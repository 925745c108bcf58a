/**
 * Published ports in docker's short syntax, the form kukeon manifests write them in (DESIGN §2):
 * `[ip:]hostPort:containerPort[/tcp|udp]`, IPv4 only. One parser and one formatter, so the
 * validator, normalization and every consumer (apply's port publishing, `kuke export`) read a
 * port the same way.
 */

export type PortProtocol = "tcp" | "udp";

export interface PortMapping {
  /** Host address the port is published on. @default every address of the host */
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  /** @default "tcp" */
  protocol: PortProtocol;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const PORT = /^[1-9]\d{0,4}$/;

function port(text: string): number | undefined {
  if (!PORT.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** Parses one port; a string (what is wrong, continuing "port '…' ") when it is not valid. */
export function parsePortMapping(text: string): PortMapping | string {
  const slash = text.lastIndexOf("/");
  const body = slash < 0 ? text : text.slice(0, slash);
  const proto = slash < 0 ? "tcp" : text.slice(slash + 1);
  if (proto !== "tcp" && proto !== "udp") return `has protocol '${proto.slice(0, 20)}' (tcp or udp)`;
  const parts = body.split(":");
  if (parts.length < 2 || parts.length > 3) return "is not [ip:]hostPort:containerPort";
  const hostIp = parts.length === 3 ? parts[0]! : undefined;
  if (hostIp !== undefined && !IPV4.test(hostIp)) return `has host address '${hostIp.slice(0, 40)}' (an IPv4 address)`;
  const hostPort = port(parts.at(-2)!);
  const containerPort = port(parts.at(-1)!);
  if (hostPort === undefined || containerPort === undefined)
    return "has a port outside 1-65535 (ranges are not supported)";
  return { ...(hostIp !== undefined ? { hostIp } : {}), hostPort, containerPort, protocol: proto };
}

/** The canonical text of a port: protocol always written, so equal ports compare equal. */
export function formatPortMapping(p: PortMapping): string {
  return `${p.hostIp !== undefined ? `${p.hostIp}:` : ""}${p.hostPort}:${p.containerPort}/${p.protocol}`;
}

/** A port's canonical text, or the text unchanged when it does not parse (the validator reports it). */
export function canonicalPort(text: string): string {
  const p = parsePortMapping(text);
  return typeof p === "string" ? text : formatPortMapping(p);
}
