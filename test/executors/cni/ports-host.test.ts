import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runCommand } from "../../../src/executors/cni/host-command.js";
import { type NetworkExecutor, portmapChainName } from "../../../src/executors/cni/network-executor.js";
import { cellAddress } from "../../../src/model/address.js";
import { netnsName, networkName } from "../../../src/model/host-names.js";
import { type PortMapping, parsePortMapping } from "../../../src/model/ports.js";
import { fetchLoopback, freeLoopbackPort } from "../../harness/loopback.js";
import { leakCheck, runId, serveTcp, startNetnsHolder } from "../../harness/netns.js";
import { tempNetwork } from "../../harness/temp-network.js";

/**
 * Published ports on the real host: portmap publishes a cell's `ports` on 127.0.0.1, `setPorts`
 * moves them without touching the cell's address, and DEL leaves no DNAT chain or rule behind.
 * Traffic stays on 127.0.0.1 and the test's own bridge.
 */
const t = suite("executors/cni/published ports on this host");

const id = runId();
const realm = `kp${id}`;
const octet = 150 + Math.floor(Math.random() * 100);
const cell = cellAddress(realm, "s", "t", "web");
let net: NetworkExecutor;

const port = (text: string): PortMapping => parsePortMapping(text) as PortMapping;

async function natChains(): Promise<string> {
  return (await runCommand("iptables-save", ["-t", "nat"])).stdout;
}

t.before(async () => {
  ({ net } = await tempNetwork(
    "kp-net",
    { realm, spaces: ["s"], cells: [cell] },
    { subnetPool: `10.${octet}.0.0/16` },
  ));
});

t("a published port answers on 127.0.0.1, moves without a new address, and DEL removes its rules", async () => {
  await net.ensureSpaceNetwork(realm, "s");
  const holder = await startNetnsHolder();
  await net.pin(cell, holder.pid);
  const first = await freeLoopbackPort();
  const second = await freeLoopbackPort();
  const attached = await net.attach(cell, [port(`127.0.0.1:${first}:8080`)]);
  assert.equal(attached.ports, [`127.0.0.1:${first}:8080/tcp`]);
  await serveTcp(net.pinner.pathOf(cell), 8080, "hello through portmap");
  assert.is(await fetchLoopback(first, ""), "hello through portmap");
  const chain = portmapChainName(networkName(realm, "s"), netnsName(cell));
  assert.ok((await natChains()).includes(`:${chain} `), `portmap's chain is named ${chain}`);

  assert.equal(await net.attach(cell, [port(`127.0.0.1:${first}:8080`)]), attached, "same ports: nothing to do");
  const moved = await net.setPorts(cell, [port(`127.0.0.1:${second}:8080`)]);
  assert.is(moved.ip, attached.ip, "the cell keeps its address");
  assert.is(await fetchLoopback(second, ""), "hello through portmap");
  assert.is(await fetchLoopback(first, ""), "refused", "the old port is no longer published");

  const none = await net.attach(cell, []);
  assert.equal(none.ports, []);
  assert.is(await fetchLoopback(second, ""), "refused");
  assert.not.ok((await natChains()).includes(`:${chain} `), "no DNAT chain while nothing is published");

  await net.setPorts(cell, [port(`${second}:8080`)]);
  assert.is(
    await fetchLoopback(second, ""),
    "hello through portmap",
    "a port on every host address answers on 127.0.0.1 too",
  );
  await net.detach(cell);
  await net.unpin(cell);
  await holder.kill();
  await net.removeSpaceNetwork(realm, "s");
  const nat = await natChains();
  assert.not.ok(nat.includes(chain), "DEL removed the DNAT chain");
  assert.not.ok(nat.includes(`\\"${networkName(realm, "s")}\\"`), "no rule mentions the network any more");
  assert.equal(await leakCheck({ network: { executor: net, realm, space: "s", cells: [cell] } }), []);
});

t.run();
