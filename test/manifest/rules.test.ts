import { suite } from "uvu";
import * as assert from "uvu/assert";
import { editDistance } from "../../src/manifest/did-you-mean.js";
import { loadManifests } from "../../src/manifest/index.js";

/** One rule per row: a manifest and the (code, path) of every error it must produce, nothing more. */
const t = suite("manifest/rules");

const BOX = "docker.io/library/busybox:latest";
const container = (fields: string) => `kind: Cell
metadata: {name: web}
spec:
  realmId: demo
  spaceId: apps
  stackId: shop
  containers:
    - id: app
      image: ${BOX}
${fields
  .split("\n")
  .filter((l) => l !== "")
  .map((l) => `      ${l}`)
  .join("\n")}
`;
const space = (spec: string) => `kind: Space\nmetadata: {name: s}\nspec:\n  realmId: demo\n${spec}`;
const cell = (containers: string, extra = "") =>
  `kind: Cell\nmetadata: {name: web}\nspec:\n  realmId: demo\n  spaceId: apps\n  stackId: shop\n${extra}  containers:\n${containers}`;

const P = "spec.containers[0]";
const rows: [name: string, text: string, expected: [code: string, path: string][]][] = [
  [
    "apiVersion other than v1beta1",
    "apiVersion: v1\nkind: Realm\nmetadata: {name: r}\n",
    [["unsupported-api-version", "apiVersion"]],
  ],
  ["apiVersion missing is v1beta1", "kind: Realm\nmetadata: {name: r}\n", []],
  ["unknown kind", "kind: Pod\nmetadata: {name: r}\n", [["unknown-kind", "kind"]]],
  ["kind is case-sensitive", "kind: CELL\n", [["unknown-kind", "kind"]]],
  ["kind must be a string", "kind: [Realm]\n", [["wrong-type", "kind"]]],
  ["name is a DNS label", "kind: Realm\nmetadata: {name: a.b}\n", [["invalid-name", "metadata.name"]]],
  // A realm's namespace is passed to containerd as is: containerd's own rule, checked before.
  [
    "namespace: containerd's rule",
    "kind: Realm\nmetadata: {name: r}\nspec: {namespace: 'a/../b'}\n",
    [["invalid-namespace", "spec.namespace"]],
  ],
  [
    "namespace: at most 76 characters",
    `kind: Realm\nmetadata: {name: r}\nspec: {namespace: ${"n".repeat(77)}}\n`,
    [["invalid-namespace", "spec.namespace"]],
  ],
  ["namespace: 76 characters is fine", `kind: Realm\nmetadata: {name: r}\nspec: {namespace: ${"n".repeat(76)}}\n`, []],
  ["name required", "kind: Realm\nmetadata: {}\n", [["missing-field", "metadata.name"]]],
  ["unknown field with suggestion", container("comand: /bin/sh"), [["unknown-field", `${P}.comand`]]],
  ["unknown top-level field", "kind: Realm\nmetadata: {name: r}\nspecs: {}\n", [["unknown-field", "specs"]]],
  ["status is accepted", "kind: Realm\nmetadata: {name: r}\nstatus: {state: Ready}\n", []],
  ["string field given a number", container("command: 5"), [["wrong-type", `${P}.command`]]],
  ["bool field given a string", container("privileged: 'true'"), [["wrong-type", `${P}.privileged`]]],
  ["list field given a string", container("env: A=1"), [["wrong-type", `${P}.env`]]],
  ["object field given a list", container("resources: []"), [["wrong-type", `${P}.resources`]]],
  [
    "size must be an integer",
    container("resources: {memoryLimitBytes: 1.5}"),
    [["out-of-range", `${P}.resources.memoryLimitBytes`]],
  ],
  [
    "size must not be negative",
    container("resources: {pidsLimit: -2}"),
    [["out-of-range", `${P}.resources.pidsLimit`]],
  ],
  [
    "huge number",
    container("resources: {cpuShares: 123456789012345678901234567890}"),
    [["out-of-range", `${P}.resources.cpuShares`]],
  ],
  [
    "parent ref required",
    "kind: Stack\nmetadata: {name: t}\nspec: {realmId: r}\n",
    [["missing-field", "spec.spaceId"]],
  ],
  [
    "parent ref is a name",
    "kind: Stack\nmetadata: {name: t}\nspec: {realmId: r, spaceId: S}\n",
    [["invalid-name", "spec.spaceId"]],
  ],
  [
    "stack id equals name",
    "kind: Stack\nmetadata: {name: t}\nspec: {id: u, realmId: r, spaceId: s}\n",
    [["id-mismatch", "spec.id"]],
  ],
  ["cell id equals name", cell(`    - {id: a, image: ${BOX}}\n`, "  id: other\n"), [["id-mismatch", "spec.id"]]],
  [
    "container document id equals name",
    `kind: Container\nmetadata: {name: a}\nspec: {id: b, realmId: r, spaceId: s, stackId: t, cellId: c, image: ${BOX}}\n`,
    [["id-mismatch", "spec.id"]],
  ],
  [
    "container document named by spec.id alone",
    `kind: Container\nspec: {id: b, realmId: r, spaceId: s, stackId: t, cellId: c, image: ${BOX}}\n`,
    [],
  ],
  [
    "cell containers non-empty",
    cell("    []\n").replace("containers:\n    []", "containers: []"),
    [["empty-cell", "spec.containers"]],
  ],
  ["container id required", cell(`    - {image: ${BOX}}\n`), [["missing-field", `${P}.id`]]],
  [
    "container ids unique",
    cell(`    - {id: a, image: ${BOX}}\n    - {id: a, image: ${BOX}}\n`),
    [["duplicate-address", "spec.containers[1]"]],
  ],
  [
    "two roots",
    cell(`    - {id: a, root: true, image: ${BOX}}\n    - {id: b, root: true, image: ${BOX}}\n`),
    [["root-conflict", "spec.containers[1].root"]],
  ],
  [
    "rootContainerId names a container",
    cell(`    - {id: a, image: ${BOX}}\n`, "  rootContainerId: b\n"),
    [["root-not-found", "spec.rootContainerId"]],
  ],
  [
    "rootContainerId and the same root flag agree",
    cell(`    - {id: a, root: true, image: ${BOX}}\n`, "  rootContainerId: a\n"),
    [],
  ],
  [
    "id root is reserved without a declared root",
    cell(`    - {id: root, image: ${BOX}}\n`),
    [["reserved-id", `${P}.id`]],
  ],
  ["id root is fine as the declared root", cell(`    - {id: root, root: true, image: ${BOX}}\n`), []],
  [
    "hostNetwork needs the root to have it",
    cell(`    - {id: a, root: true, image: ${BOX}}\n    - {id: b, hostNetwork: true, image: ${BOX}}\n`),
    [["host-network", "spec.containers[1].hostNetwork"]],
  ],
  ["hostNetwork with a synthesized root", cell(`    - {id: a, hostNetwork: true, image: ${BOX}}\n`), []],
  [
    "egress exactly one target",
    space("  network:\n    egress:\n      allow: [{ports: [1]}]\n"),
    [["egress-target", "spec.network.egress.allow[0]"]],
  ],
  [
    "egress not both",
    space("  network:\n    egress:\n      allow: [{host: a.b, cidr: 1.2.3.4}]\n"),
    [["egress-target", "spec.network.egress.allow[0]"]],
  ],
  [
    "egress CIDR",
    space("  network:\n    egress:\n      allow: [{cidr: 1.2.3/8}]\n"),
    [["invalid-cidr", "spec.network.egress.allow[0].cidr"]],
  ],
  [
    "egress host",
    space("  network:\n    egress:\n      allow: [{host: a_b.com}]\n"),
    [["invalid-host", "spec.network.egress.allow[0].host"]],
  ],
  [
    "egress ports",
    space("  network:\n    egress:\n      allow: [{cidr: 1.2.3.4, ports: [65536]}]\n"),
    [["out-of-range", "spec.network.egress.allow[0].ports[0]"]],
  ],
  [
    "egress default",
    space("  network:\n    egress:\n      default: maybe\n"),
    [["invalid-value", "spec.network.egress.default"]],
  ],
  [
    "space defaults know only defaultable fields",
    space("  defaults:\n    container:\n      image: x\n"),
    [["unknown-field", "spec.defaults.container.image"]],
  ],
  [
    "volume source absolute",
    container("volumes: [{source: a, target: /b}]"),
    [["relative-path", `${P}.volumes[0].source`]],
  ],
  [
    "volume target absolute",
    container("volumes: [{source: /a, target: b}]"),
    [["relative-path", `${P}.volumes[0].target`]],
  ],
  ["tmpfs path absolute", container("tmpfs: [{path: t}]"), [["relative-path", `${P}.tmpfs[0].path`]]],
  ["env needs =", container("env: [A]"), [["invalid-env", `${P}.env[0]`]]],
  ["env key valid", container("env: ['A B=1']"), [["invalid-env", `${P}.env[0]`]]],
  ["env empty value is fine", container("env: [A=]"), []],
  [
    "capability names",
    container("capabilities: {drop: [cap_chown, all, NOPE]}"),
    [["unknown-capability", `${P}.capabilities.drop[2]`]],
  ],
  [
    "security opts",
    container("securityOpts: [no-new-privileges=false, 'seccomp=x']"),
    [["invalid-security-opt", `${P}.securityOpts[1]`]],
  ],
  ["seccomp absolute profile", container("securityOpts: [seccomp=/etc/p.json]"), []],
  ["restart policy", container("restartPolicy: sometimes"), [["invalid-value", `${P}.restartPolicy`]]],
  ["ports valid", container("ports: ['8080:80', '127.0.0.1:8443:443/tcp', '53:53/udp']"), []],
  [
    "ports invalid",
    container("ports: ['80', '1.2.3:80:80', '8080:80/sctp', '0:80', '8080-8081:80-81', '70000:80']"),
    [
      ["invalid-port", `${P}.ports[0]`],
      ["invalid-port", `${P}.ports[1]`],
      ["invalid-port", `${P}.ports[2]`],
      ["invalid-port", `${P}.ports[3]`],
      ["invalid-port", `${P}.ports[4]`],
      ["invalid-port", `${P}.ports[5]`],
    ],
  ],
  [
    "secret name",
    container("secrets: [{name: 'a b', fromEnv: X, mountPath: /x}]"),
    [["invalid-name", `${P}.secrets[0].name`]],
  ],
  // A mounted secret's host file is <secrets dir>/<name>: these names would leave that folder.
  [
    "secret name cannot leave the secrets folder",
    container("secrets: [{name: '..', fromEnv: X, mountPath: /x}, {name: 'a/../../b', fromEnv: X, mountPath: /y}]"),
    [
      ["invalid-name", `${P}.secrets[0].name`],
      ["invalid-name", `${P}.secrets[1].name`],
    ],
  ],
  ["secret one source", container("secrets: [{name: A}]"), [["secret-source", `${P}.secrets[0]`]]],
  [
    "secret fromEnv is a variable name",
    container("secrets: [{name: A, fromEnv: '1X'}, {name: B, fromEnv: 'X=Y'}]"),
    [
      ["invalid-env", `${P}.secrets[0].fromEnv`],
      ["invalid-env", `${P}.secrets[1].fromEnv`],
    ],
  ],
  [
    "secret fromFile absolute",
    container("secrets: [{name: A, fromFile: f}]"),
    [["relative-path", `${P}.secrets[0].fromFile`]],
  ],
  [
    "secret mountPath absolute",
    container("secrets: [{name: a, fromEnv: A, mountPath: m}]"),
    [["relative-path", `${P}.secrets[0].mountPath`]],
  ],
  [
    "registry credential needs password",
    "kind: Realm\nmetadata: {name: r}\nspec:\n  registryCredentials: [{username: u}]\n",
    [["missing-field", "spec.registryCredentials[0].password"]],
  ],
  [
    "kukeon fields warn only",
    container("ports: ['80:80']\nnetworks: [a]\nnetworksAliases: [b]\nattachable: true\ncontainerdId: x"),
    [],
  ],
  ["duplicate keys", "kind: Realm\nmetadata: {name: demo}\nkind: Realm\n", [["duplicate-key", ""]]],
];

for (const [name, text, expected] of rows) {
  t(name, () => {
    const r = loadManifests([{ file: "m.yaml", text }]);
    const got = r.diagnostics.filter((d) => d.severity === "error").map((d) => [d.code, d.path]);
    assert.equal(got, expected);
  });
}

t("kukeon fields produce one warning each; ports are read (and published by apply, so no warning)", () => {
  const r = loadManifests([
    {
      file: "m.yaml",
      text: container("ports: ['80:80']\nnetworks: [a]\nnetworksAliases: [b]\nattachable: true\ncontainerdId: x"),
    },
  ]);
  assert.equal(
    r.diagnostics.map((d) => [d.severity, d.code]),
    Array(4).fill(["warning", "ignored-field"]),
  );
  assert.equal(r.state.cells[0]?.spec.containers.at(-1)?.ports, ["80:80/tcp"]);
});

t("a host port published twice on one host address is an error pointing at the first; other addresses are fine", () => {
  const cell = (name: string, ports: string) =>
    `---\nkind: Cell\nmetadata: {name: ${name}}\nspec:\n  realmId: r\n  spaceId: s\n  stackId: t\n  containers:\n    - id: app\n      image: busybox\n      ports: ${ports}\n`;
  const r = loadManifests([
    { file: "a.yaml", text: cell("one", "['127.0.0.1:8080:80', '53:53/udp']") },
    { file: "b.yaml", text: cell("two", "['127.0.0.2:8080:80', '8080:81', '53:53/tcp']") },
  ]);
  const errs = r.diagnostics.filter((d) => d.severity === "error");
  assert.equal(
    errs.map((d) => [d.file, d.code, d.path]),
    [["b.yaml", "port-conflict", "spec.containers[0].ports[1]"]],
  );
  assert.match(errs[0]!.message, "host port 8080/tcp is published twice (first at a.yaml:11:");
  assert.is(errs[0]!.line, 11);
});

t("a wrong-type password is never echoed", () => {
  const text = "kind: Realm\nmetadata: {name: r}\nspec:\n  registryCredentials: [{username: u, password: 424242}]\n";
  const r = loadManifests([{ file: "m.yaml", text }]);
  assert.is(r.errorCount, 1);
  assert.match(r.diagnostics[0]!.message, "(sensitive value)");
  assert.not.match(JSON.stringify(r.diagnostics), "424242");
});

t("suggestions use a small edit distance", () => {
  assert.is(editDistance("imagee", "image"), 1);
  assert.is(editDistance("rootContianerId", "rootContainerId"), 1);
  assert.is(editDistance("abc", "xyz"), 3);
});

t.run();
