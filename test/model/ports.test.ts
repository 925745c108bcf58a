import { suite } from "uvu";
import * as assert from "uvu/assert";
import { normalizeContainer } from "../../src/model/normalize.js";
import { canonicalPort, formatPortMapping, parsePortMapping } from "../../src/model/ports.js";

const t = suite("model/ports");

t("docker short syntax parses into host address, ports and protocol", () => {
  assert.equal(parsePortMapping("8080:80"), { hostPort: 8080, containerPort: 80, protocol: "tcp" });
  assert.equal(parsePortMapping("127.0.0.1:8443:443/tcp"), {
    hostIp: "127.0.0.1",
    hostPort: 8443,
    containerPort: 443,
    protocol: "tcp",
  });
  assert.equal(parsePortMapping("53:53/udp"), { hostPort: 53, containerPort: 53, protocol: "udp" });
});

t("what is not [ip:]host:container[/tcp|udp] says what is wrong", () => {
  for (const bad of ["80", "a:80", "0:80", "65536:80", "80:80/sctp", "::1:80:80", "300.1.1.1:80:80", "80-81:80-81"]) {
    assert.type(parsePortMapping(bad), "string", bad);
  }
});

t("canonical text writes the protocol, and normalization keeps ports only when there are some", () => {
  assert.is(canonicalPort("8080:80"), "8080:80/tcp");
  assert.is(
    formatPortMapping({ hostIp: "127.0.0.1", hostPort: 1, containerPort: 2, protocol: "udp" }),
    "127.0.0.1:1:2/udp",
  );
  const c = normalizeContainer({ id: "a", image: "x", ports: ["8080:80"] }, undefined);
  assert.equal(c.ports, ["8080:80/tcp"]);
  assert.equal(normalizeContainer(c, undefined), c);
  assert.not.ok("ports" in normalizeContainer({ id: "a", image: "x", ports: [] }, undefined));
});

t.run();
