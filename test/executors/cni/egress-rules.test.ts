import { suite } from "uvu";
import * as assert from "uvu/assert";
import { egressRules, jumpRule } from "../../../src/executors/cni/egress.js";

const t = suite("executors/cni/egress rules");

t("deny default: established first, allow rules per protocol and port chunk, REJECT last", () => {
  const ports = Array.from({ length: 16 }, (_, i) => 1000 + i);
  const rules = egressRules(
    "KUKE-EG-X",
    {
      default: "deny",
      allow: [
        { cidr: "10.0.0.0/8", ports: [] },
        { cidr: "192.0.2.7", ports: [443, 80, 443] },
        { host: "db.test", ports },
      ],
    },
    { "db.test": ["198.51.100.1"] },
  );
  assert.equal(rules, [
    "-A KUKE-EG-X -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
    "-A KUKE-EG-X -d 10.0.0.0/8 -j RETURN",
    "-A KUKE-EG-X -d 192.0.2.7/32 -p tcp -m multiport --dports 80,443 -j RETURN",
    "-A KUKE-EG-X -d 192.0.2.7/32 -p udp -m multiport --dports 80,443 -j RETURN",
    `-A KUKE-EG-X -d 198.51.100.1/32 -p tcp -m multiport --dports ${ports.slice(0, 15).join(",")} -j RETURN`,
    `-A KUKE-EG-X -d 198.51.100.1/32 -p udp -m multiport --dports ${ports.slice(0, 15).join(",")} -j RETURN`,
    "-A KUKE-EG-X -d 198.51.100.1/32 -p tcp -m multiport --dports 1015 -j RETURN",
    "-A KUKE-EG-X -d 198.51.100.1/32 -p udp -m multiport --dports 1015 -j RETURN",
    "-A KUKE-EG-X -j REJECT --reject-with icmp-port-unreachable",
  ]);
});

t("allow default has no final verdict; the jump skips traffic inside the subnet", () => {
  assert.equal(egressRules("C", { default: "allow", allow: [] }, {}), [
    "-A C -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
  ]);
  assert.equal(jumpRule("C", { bridge: "k-1", subnet: "10.88.1.0/24" }), [
    "-i",
    "k-1",
    "-s",
    "10.88.1.0/24",
    "!",
    "-d",
    "10.88.1.0/24",
    "-j",
    "C",
  ]);
});

t.run();
