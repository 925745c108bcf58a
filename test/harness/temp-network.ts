/**
 * A NetworkExecutor of a test's own: its run path and runtime dir are fresh temporary dirs, so its
 * IPAM, records and pins meet no other test's, and what it made on the host is removed at teardown
 * even when the test fails.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetworkExecutor, type NetworkExecutorOptions } from "../../src/executors/cni/network-executor.js";
import type { CellAddress } from "../../src/model/address.js";
import { bridgeName } from "../../src/model/host-names.js";
import { removeLink } from "./netns.js";
import { onTeardown } from "./teardown.js";

export interface TempNetwork {
  net: NetworkExecutor;
  /**
   * Detaches and unpins the test's cells, then removes its spaces' networks and bridges; what is
   * gone already is fine. Registered with `onTeardown`; a test may also call it itself.
   */
  cleanup(): Promise<void>;
}

/** The realm, spaces and cells a test's network executor makes, for its cleanup. */
export interface TempNetworkOwns {
  realm: string;
  spaces: string[];
  cells?: CellAddress[];
}

/** `prefix` names the temporary dirs (`/tmp/<prefix>-run-…`, `/tmp/<prefix>-rt-…`). */
export async function tempNetwork(
  prefix: string,
  owns: TempNetworkOwns,
  options: Omit<NetworkExecutorOptions, "runPath" | "runtimeDir"> = {},
): Promise<TempNetwork> {
  const runPath = await tempDir(`${prefix}-run-`);
  const runtimeDir = await tempDir(`${prefix}-rt-`);
  const net = new NetworkExecutor({ ...options, runPath, runtimeDir });
  const cleanup = async () => {
    for (const c of owns.cells ?? []) {
      await net.detach(c).catch(() => undefined);
      await net.unpin(c).catch(() => undefined);
    }
    for (const s of owns.spaces) {
      await net.removeSpaceNetwork(owns.realm, s).catch(() => undefined);
      await removeLink(bridgeName(owns.realm, s));
    }
  };
  onTeardown(`network of ${owns.realm}`, cleanup);
  return { net, cleanup };
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTeardown(`temp ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return dir;
}
