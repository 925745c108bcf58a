/**
 * The runc shim's `Options` (proto/containerd/runc/options.proto) as a protobuf `Any`. Only `root`
 * is set, and a one-field message is simpler to encode here than to load a second proto package:
 * tag (field 7, wire type 2), varint length, UTF-8 bytes.
 */
export const RUNC_OPTIONS_TYPE_URL = "containerd.runc.v1.Options";

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** Runtime options that keep runc's state under `root` instead of the system's /run/containerd. */
export function runcOptions(root: string): { type_url: string; value: Buffer } {
  const bytes = Buffer.from(root, "utf8");
  return {
    type_url: RUNC_OPTIONS_TYPE_URL,
    value: Buffer.concat([Buffer.from([(7 << 3) | 2, ...varint(bytes.length)]), bytes]),
  };
}
