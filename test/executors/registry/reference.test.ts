import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  credentialRegistry,
  isLoopbackRegistry,
  normalizeReference,
  parseReference,
  registryBaseUrl,
} from "../../../src/executors/registry/reference.js";
import { isKukeError } from "../../../src/model/errors.js";

const t = suite("executors/registry/reference");
const D = `sha256:${"ab".repeat(32)}`;

t("normalizes the forms users write", () => {
  const cases: Array<[string, string]> = [
    ["busybox", "docker.io/library/busybox:latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36"],
    ["library/busybox", "docker.io/library/busybox:latest"],
    ["someone/app", "docker.io/someone/app:latest"],
    ["docker.io/busybox", "docker.io/library/busybox:latest"],
    ["index.docker.io/library/busybox:1", "docker.io/library/busybox:1"],
    ["registry-1.docker.io/someone/app:v2", "docker.io/someone/app:v2"],
    ["127.0.0.1:5000/library/busybox", "127.0.0.1:5000/library/busybox:latest"],
    ["localhost/app:dev", "localhost/app:dev"],
    ["localhost:5000/a/b/c:v1.2-rc_3", "localhost:5000/a/b/c:v1.2-rc_3"],
    ["ghcr.io/org/tool", "ghcr.io/org/tool:latest"],
    ["[::1]:5000/x", "[::1]:5000/x:latest"],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`],
    [`host.example:443/a/b:tag@${D}`, `host.example:443/a/b:tag@${D}`],
    ["my_repo/with__double-dash--x.y", "docker.io/my_repo/with__double-dash--x.y:latest"],
  ];
  for (const [input, expected] of cases) assert.is(normalizeReference(input), expected, input);
});

t("splits registry, repository, tag and digest", () => {
  assert.equal(parseReference(`127.0.0.1:5000/library/busybox:1@${D}`), {
    registry: "127.0.0.1:5000",
    repository: "library/busybox",
    tag: "1",
    digest: D,
  });
  assert.equal(parseReference(`busybox@${D}`), { registry: "docker.io", repository: "library/busybox", digest: D });
});

t("rejects malformed references with invalid-spec", () => {
  for (const bad of [
    "",
    "Busybox",
    "busybox:",
    "busybox:bad/tag",
    "busybox@sha256:123",
    "busybox@md5:abc",
    "a//b",
    "-a/b",
    "ghcr.io/",
    "bad_host.example:99999x/a",
    "a/b:tag:more",
  ]) {
    try {
      parseReference(bad);
      assert.unreachable(`'${bad}' should be rejected`);
    } catch (e) {
      assert.ok(isKukeError(e, "invalid-spec"), `'${bad}': ${String(e)}`);
    }
  }
});

t("HTTPS by default, plain HTTP only for this machine; Docker Hub's API host", () => {
  assert.is(registryBaseUrl("docker.io"), "https://registry-1.docker.io");
  assert.is(registryBaseUrl("ghcr.io"), "https://ghcr.io");
  assert.is(registryBaseUrl("10.0.0.5:5000"), "https://10.0.0.5:5000");
  assert.is(registryBaseUrl("127.0.0.1:5000"), "http://127.0.0.1:5000");
  assert.is(registryBaseUrl("localhost"), "http://localhost");
  assert.is(registryBaseUrl("[::1]:5000"), "http://[::1]:5000");
  assert.not.ok(isLoopbackRegistry("127.0.0.1.example.com"));
  assert.not.ok(isLoopbackRegistry("localhost.evil"));
});

t("credential server addresses name registries the way references do", () => {
  assert.is(credentialRegistry("https://index.docker.io/v1/"), "docker.io");
  assert.is(credentialRegistry("docker.io"), "docker.io");
  assert.is(credentialRegistry("registry-1.docker.io"), "docker.io");
  assert.is(credentialRegistry("http://127.0.0.1:5000"), "127.0.0.1:5000");
  assert.is(credentialRegistry("GHCR.io/"), "ghcr.io");
});

t.run();
