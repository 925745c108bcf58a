/** The space bridge's `ip -batch` and its fixed MAC (the host side is in network-host.test.ts). */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { bridgeBatch, bridgeMac } from "../../../src/executors/cni/space-bridge.js";

const t = suite("executors/cni/space-bridge");

t(
  "a new bridge is made with its MAC, given the gateway and brought up in one batch; an existing one only the last two",
  () => {
    const mac = bridgeMac("k-0123abcd");
    assert.equal(bridgeBatch("k-0123abcd", "10.88.4.1", false), [
      `link add k-0123abcd address ${mac} type bridge`,
      "addr replace 10.88.4.1/24 dev k-0123abcd",
      "link set dev k-0123abcd up",
    ]);
    assert.equal(bridgeBatch("k-0123abcd", "10.88.4.1", true), [
      "addr replace 10.88.4.1/24 dev k-0123abcd",
      "link set dev k-0123abcd up",
    ]);
  },
);

t("the MAC is the bridge's own: the same for the same name, locally administered and unicast", () => {
  const mac = bridgeMac("k-0123abcd");
  assert.is(bridgeMac("k-0123abcd"), mac);
  assert.is.not(bridgeMac("k-0123abce"), mac);
  assert.match(mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  const first = Number.parseInt(mac.slice(0, 2), 16);
  assert.is(first & 0x03, 0x02, "locally administered (bit 1), not multicast (bit 0)");
});

t.run();
