import { suite } from "uvu";
import * as assert from "uvu/assert";
import { findCredential, mayCarryCredentials, parseChallenge } from "../../../src/executors/registry/auth.js";

const t = suite("executors/registry/auth");

t("parses bearer and basic challenges", () => {
  assert.equal(
    parseChallenge(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
    ),
    {
      scheme: "bearer",
      realm: "https://auth.docker.io/token",
      service: "registry.docker.io",
      scope: "repository:library/busybox:pull",
    },
  );
  assert.equal(parseChallenge('bearer realm="http://127.0.0.1:1/t"'), {
    scheme: "bearer",
    realm: "http://127.0.0.1:1/t",
  });
  assert.equal(parseChallenge('Basic realm="Registry Realm"'), { scheme: "basic", realm: "Registry Realm" });
  assert.equal(parseChallenge("Basic"), { scheme: "basic" });
  assert.is(parseChallenge(null), undefined);
  assert.is(parseChallenge("Bearer service=x"), undefined, "bearer without realm");
  assert.is(parseChallenge('Negotiate realm="x"'), undefined);
});

t("picks the credential for the registry, then a catch-all, else none", () => {
  const hub = { username: "h", password: "p1", serverAddress: "https://index.docker.io/v1/" };
  const local = { username: "l", password: "p2", serverAddress: "127.0.0.1:5000" };
  const any = { username: "a", password: "p3" };
  assert.is(findCredential([local, hub], "docker.io"), hub);
  assert.is(findCredential([any, local, hub], "127.0.0.1:5000"), local);
  assert.is(findCredential([any, local], "ghcr.io"), any);
  assert.is(findCredential([local, hub], "ghcr.io"), undefined);
});

t("credentials travel only over HTTPS or to this machine", () => {
  assert.ok(mayCarryCredentials("https://auth.example/token"));
  assert.ok(mayCarryCredentials("http://127.0.0.1:8080/token"));
  assert.ok(mayCarryCredentials("http://localhost/token"));
  assert.not.ok(mayCarryCredentials("http://auth.example/token"));
});

t.run();
