import { createHash } from "node:crypto";
import { KukeError } from "../../model/errors.js";
import { runCommand } from "./host-command.js";

/**
 * The MAC a space's bridge is created with: locally administered, unicast, from the bridge's name.
 * A MAC given at creation is the bridge's own for good (the kernel marks it set), as the bridge
 * plugin makes it when it adds the gateway address (it skips that when the address is there):
 * otherwise the bridge takes the lowest MAC of its ports, which changes as cells come and go, and
 * the plugin's CHECK fails on the recorded one. Pure.
 */
export function bridgeMac(bridge: string): string {
  const b = createHash("sha256").update(`kuke-bridge:${bridge}`).digest().subarray(0, 6);
  b[0] = ((b[0] as number) & 0xfc) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** The `ip -batch` lines that make the bridge (unless `present`), give it the gateway address and bring it up. Pure. */
export function bridgeBatch(bridge: string, gateway: string, present: boolean): string[] {
  return [
    ...(present ? [] : [`link add ${bridge} address ${bridgeMac(bridge)} type bridge`]),
    `addr replace ${gateway}/24 dev ${bridge}`,
    `link set dev ${bridge} up`,
  ];
}

/**
 * Makes a space's bridge exist, up, holding its gateway address, as soon as the subnet is
 * allocated. The subnet then shows among the host's addresses and routes, so another kuke run
 * path's allocator skips it even before a cell attaches here; the bridge plugin adopts the bridge
 * and its address as they are. Idempotent; `removeSpaceNetwork` deletes the bridge.
 *
 * Two `ip` processes: a look, then one `ip -batch` of what is missing. When the batch fails
 * (another process made the bridge in between), each command runs on its own against what is
 * there then, and only those failures count.
 */
export async function ensureSpaceBridge(bridge: string, gateway: string): Promise<void> {
  const present = async () => (await runCommand("ip", ["link", "show", "dev", bridge])).code === 0;
  const batch = bridgeBatch(bridge, gateway, await present());
  if ((await runCommand("ip", ["-batch", "-"], `${batch.join("\n")}\n`)).code === 0) return;
  for (const line of bridgeBatch(bridge, gateway, await present())) {
    const args = line.split(" ");
    const r = await runCommand("ip", args);
    // Another process may have made it in between: only its absence is a failure.
    if (r.code !== 0 && !(args[1] === "add" && (await present()))) {
      throw new KukeError("runtime", `ip ${line} failed (exit ${r.code})`, { detail: r.stderr });
    }
  }
}
