import { suite } from "uvu";
import * as assert from "uvu/assert";
import { containerAddress } from "../../src/model/address.js";
import {
  bridgeName,
  CONTAINERD_ID_MAX,
  containerdId,
  egressChainName,
  networkName,
} from "../../src/model/host-names.js";

const t = suite("model/host-names");

t("containerd ids join names with _ and stay within containerd's limit", () => {
  assert.is(containerdId(containerAddress("r", "s", "t", "c", "k")), "s_t_c_k");
  const long = "a".repeat(63);
  const a = containerdId(containerAddress("r", long, long, "c", "k1"));
  const b = containerdId(containerAddress("r", long, long, "c", "k2"));
  assert.ok(a.length <= CONTAINERD_ID_MAX);
  assert.is.not(a, b);
});

t("network, bridge and chain names fit the kernel's limits", () => {
  assert.is(networkName("r", "s"), "kuke_r_s");
  assert.match(bridgeName("r", "s"), /^k-[0-9a-f]{8}$/);
  assert.ok(bridgeName("r", "s").length <= 15);
  assert.ok(egressChainName("r".repeat(63), "s".repeat(63)).length <= 28);
  assert.is.not(bridgeName("r", "s"), bridgeName("r", "t"));
});

t.run();
