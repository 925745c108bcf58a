import type { PortMapping } from "../../model/ports.js";
import type { ConfList, PluginConfig } from "./plugin-exec.js";

/** What a space's network configuration is made from. */
export interface SpaceNetworkParams {
  network: string;
  bridge: string;
  subnet: string;
  gateway: string;
  cniVersion: string;
  /** host-local's state directory; inside kuke's run path so its files are kuke's to remove. */
  ipamDataDir: string;
}

/**
 * A space's conflist: one bridge plugin acting as the subnet's gateway, and host-local IPAM handing out addresses from the space's /24 with a
 * default route via the gateway; then portmap, which publishes the ports a cell declares (passed
 * per attachment as `runtimeConfig.portMappings`, see `cellConflist`). Traffic leaving the subnet
 * is masqueraded by the space's own nat chain (`space-masquerade.ts`), not by the bridge plugin
 * per cell. Pure; the loopback interface is brought up by a separate call.
 */
export function spaceConflist(p: SpaceNetworkParams): ConfList {
  return {
    cniVersion: p.cniVersion,
    name: p.network,
    plugins: [
      {
        type: "bridge",
        bridge: p.bridge,
        isGateway: true,
        ipMasq: false,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: p.subnet, gateway: p.gateway }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: p.ipamDataDir,
        },
      },
      // snat: traffic to a published port from the host itself (127.0.0.1 included) is masqueraded,
      // so the reply finds its way back through the bridge.
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/** True for a plugin that takes published ports from the runtime. */
export function takesPortMappings(plugin: PluginConfig): boolean {
  return (plugin.capabilities as { portMappings?: boolean } | undefined)?.portMappings === true;
}

/** A port as CNI's `portMappings` capability spells it. */
export function cniPortMapping(p: PortMapping): Record<string, unknown> {
  return {
    hostPort: p.hostPort,
    containerPort: p.containerPort,
    protocol: p.protocol,
    ...(p.hostIp !== undefined ? { hostIP: p.hostIp } : {}),
  };
}

/**
 * The space's conflist as one cell is attached with it: the cell's published ports inserted as
 * `runtimeConfig.portMappings` into each plugin that declares the capability (the CNI spec's
 * runtime duty). A cell that publishes nothing is attached without such plugins: portmap would
 * have nothing to do, and leaving it out saves a plugin process on every ADD and DEL. The result
 * is recorded with the attachment, so DEL runs exactly what ADD ran.
 */
export function cellConflist(list: ConfList, ports: PortMapping[]): ConfList {
  const plugins: PluginConfig[] = [];
  for (const plugin of list.plugins) {
    if (!takesPortMappings(plugin)) plugins.push(plugin);
    else if (ports.length > 0) plugins.push({ ...plugin, runtimeConfig: { portMappings: ports.map(cniPortMapping) } });
  }
  return { ...list, plugins };
}

/** The list that brings up `lo` inside a cell's namespace. */
export function loopbackConflist(cniVersion: string): ConfList {
  return { cniVersion, name: "kuke-loopback", plugins: [{ type: "loopback" }] };
}

/** CNI spec versions kuke can speak, newest first. */
export const KNOWN_CNI_VERSIONS = ["1.0.0", "0.4.0"];

/** The newest version every plugin supports, from each plugin's VERSION answer; undefined when none. */
export function pickCniVersion(supported: string[][]): string | undefined {
  return KNOWN_CNI_VERSIONS.find((v) => supported.every((list) => list.includes(v)));
}
