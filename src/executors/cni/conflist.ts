import type { ConfList } from "./plugin-exec.js";

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
 * A space's conflist: one bridge plugin acting as the subnet's gateway with masquerade for
 * traffic leaving the subnet, and host-local IPAM handing out addresses from the space's /24 with a
 * default route via the gateway. Pure; the loopback interface is brought up by a separate call.
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
        ipMasq: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: p.subnet, gateway: p.gateway }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: p.ipamDataDir,
        },
      },
    ],
  };
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
