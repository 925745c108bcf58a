import { KukeError } from "../../model/errors.js";
import { runCommand } from "./host-command.js";

/**
 * Makes a space's bridge exist, up, holding its gateway address, as soon as the subnet is
 * allocated. The subnet then shows among the host's addresses and routes, so another kuke run
 * path's allocator skips it even before a cell attaches here; the bridge plugin adopts the bridge
 * and its address as they are. Idempotent; `removeSpaceNetwork` deletes the bridge.
 */
export async function ensureSpaceBridge(bridge: string, gateway: string): Promise<void> {
  const present = async () => (await runCommand("ip", ["link", "show", "dev", bridge])).code === 0;
  const steps: string[][] = [];
  if (!(await present())) {
    const add = await runCommand("ip", ["link", "add", bridge, "type", "bridge"]);
    // Another process may have made it in between: only its absence is a failure.
    if (add.code !== 0 && !(await present())) {
      throw new KukeError("runtime", `cannot create bridge ${bridge}`, { detail: add.stderr });
    }
    // Set the bridge's MAC to itself, as the bridge plugin does when it adds the gateway address
    // (it skips that when the address is there): otherwise the bridge takes the lowest MAC of its
    // ports, which changes as cells come and go, and the plugin's CHECK fails on the recorded one.
    const shown = await runCommand("ip", ["-j", "link", "show", "dev", bridge]);
    const mac = (JSON.parse(shown.code === 0 ? shown.stdout : "[]") as { address?: string }[])[0]?.address;
    if (mac) steps.push(["link", "set", "dev", bridge, "address", mac]);
  }
  steps.push(["addr", "replace", `${gateway}/24`, "dev", bridge], ["link", "set", "dev", bridge, "up"]);
  for (const args of steps) {
    const r = await runCommand("ip", args);
    if (r.code !== 0)
      throw new KukeError("runtime", `ip ${args.join(" ")} failed (exit ${r.code})`, { detail: r.stderr });
  }
}
