import { suite } from "uvu";
import * as assert from "uvu/assert";
import { loadManifests } from "../../src/manifest/index.js";
import { formatAddress, PAUSE_IMAGE } from "../../src/model/index.js";

const t = suite("manifest/load");

const load = (...texts: string[]) => loadManifests(texts.map((text, i) => ({ file: `f${i}.yaml`, text })));
const errors = (r: ReturnType<typeof load>) => r.diagnostics.filter((d) => d.severity === "error");

const REALM = "kind: Realm\nmetadata: {name: demo}\n";
const SPACE = "kind: Space\nmetadata: {name: apps}\nspec: {realmId: demo}\n";
const STACK = "kind: Stack\nmetadata: {name: shop}\nspec: {realmId: demo, spaceId: apps}\n";
const cell = (name: string, containers: string, extra = "") =>
  `kind: Cell\nmetadata: {name: ${name}}\nspec:\n  realmId: demo\n  spaceId: apps\n  stackId: shop\n${extra}  containers:\n${containers}`;
const BOX = "docker.io/library/busybox:latest";

t("documents split on ---, '--- # comment' and '...'; empty documents are skipped", () => {
  const text = `# leading comment\n---\n${REALM}--- # the space\n${SPACE}...\n---\n# only a comment\n---\n${STACK}`;
  const r = load(text);
  assert.equal(errors(r), []);
  assert.equal([...r.sources.keys()], ["realm/demo", "space/demo/apps", "stack/demo/apps/shop"]);
  // Document indexes count every YAML document of the file, empty ones included.
  assert.is(r.sources.get("space/demo/apps")!.documentIndex, 1);
  assert.is(r.sources.get("stack/demo/apps/shop")!.documentIndex, 3);
});

t("source map holds file, 1-based line and column for every address", () => {
  const r = load(REALM, `${SPACE}---\n${STACK}---\n${cell("web", `    - id: app\n      image: ${BOX}\n`)}`);
  assert.equal(r.sources.get("realm/demo"), { file: "f0.yaml", line: 1, column: 1, documentIndex: 0 });
  assert.equal(r.sources.get("stack/demo/apps/shop"), { file: "f1.yaml", line: 5, column: 1, documentIndex: 1 });
  assert.equal(r.sources.get("container/demo/apps/shop/web/app"), {
    file: "f1.yaml",
    line: 16,
    column: 7,
    documentIndex: 2,
  });
});

t("space defaults are merged into the containers of cells in that space; the container wins", () => {
  const space = `kind: Space
metadata: {name: apps}
spec:
  realmId: demo
  defaults:
    container:
      user: "1000"
      readOnlyRootFilesystem: true
      resources: {memoryLimitBytes: 1000}
`;
  const r = load(
    `${REALM}---\n${space}---\n${STACK}---\n${cell("web", `    - id: a\n      image: ${BOX}\n    - id: b\n      image: ${BOX}\n      user: nobody\n      resources: {pidsLimit: 5}\n`)}`,
  );
  assert.equal(errors(r), []);
  const [root, a, b] = r.state.cells[0]!.spec.containers;
  assert.is(root!.synthesized, true);
  assert.is(root!.image, PAUSE_IMAGE);
  assert.is(a!.user, "1000");
  assert.is(a!.readOnlyRootFilesystem, true);
  assert.equal(a!.resources, { memoryLimitBytes: 1000 });
  assert.is(b!.user, "nobody");
  assert.equal(b!.resources, { pidsLimit: 5 });
});

t("a Container document whose cell is declared is folded into the cell", () => {
  const doc = `kind: Container\nmetadata: {name: side}\nspec: {realmId: demo, spaceId: apps, stackId: shop, cellId: web, image: ${BOX}}\n`;
  const r = load(
    `${REALM}---\n${SPACE}---\n${STACK}---\n${cell("web", `    - id: app\n      image: ${BOX}\n      root: true\n`)}`,
    doc,
  );
  assert.equal(errors(r), []);
  assert.equal(r.state.looseContainers, []);
  assert.equal(
    r.state.cells[0]!.spec.containers.map((c) => c.id),
    ["app", "side"],
  );
  assert.equal(r.sources.get("container/demo/apps/shop/web/side")?.file, "f1.yaml");
});

t("a Container document for an undeclared cell stays loose; undeclared parents are listed", () => {
  const doc = `kind: Container\nmetadata: {name: debug}\nspec: {realmId: demo, spaceId: apps, stackId: shop, cellId: web, image: ${BOX}}\n`;
  const r = load(doc);
  assert.equal(errors(r), []);
  assert.is(r.state.looseContainers.length, 1);
  assert.is(r.state.looseContainers[0]!.name, "debug");
  assert.is(r.state.looseContainers[0]!.spec.id, "debug");
  assert.equal(r.undeclaredParents.map(formatAddress), [
    "realm/demo",
    "space/demo/apps",
    "stack/demo/apps/shop",
    "cell/demo/apps/shop/web",
  ]);
});

t("a declared parent is not listed as undeclared", () => {
  const r = load(`${SPACE}---\n${STACK}`);
  assert.equal(r.undeclaredParents.map(formatAddress), ["realm/demo"]);
});

t("realm namespace and registry credentials are normalized", () => {
  const r = load(
    "kind: Realm\nmetadata: {name: demo}\nspec:\n  registryCredentials:\n    - {username: u, password: p}\n",
  );
  assert.is(r.state.realms[0]!.spec.namespace, "demo.kukeon.io");
  assert.equal(r.state.realms[0]!.spec.registryCredentials, [{ username: "u", password: "p" }]);
});

t("explicit root via rootContainerId comes first; hostNetwork follows a synthesized root", () => {
  const r = load(
    `${cell("w", `    - id: a\n      image: ${BOX}\n    - id: b\n      image: ${BOX}\n`, "  rootContainerId: b\n")}---\n${cell("h", `    - id: a\n      image: ${BOX}\n      hostNetwork: true\n`)}`,
  );
  assert.equal(errors(r), []);
  const [w, h] = r.state.cells;
  assert.equal(
    w!.spec.containers.map((c) => [c.id, c.root]),
    [
      ["b", true],
      ["a", false],
    ],
  );
  assert.is(h!.spec.containers[0]!.synthesized, true);
  assert.is(h!.spec.containers[0]!.hostNetwork, true);
});

t("duplicates across files point back at the first declaration", () => {
  const r = load(REALM, `# again\n${REALM}`);
  const e = errors(r);
  assert.is(e.length, 1);
  assert.is(e[0]!.code, "duplicate-address");
  assert.is(e[0]!.file, "f1.yaml");
  assert.is(e[0]!.line, 2);
  assert.match(e[0]!.message, "first at f0.yaml:1:1");
});

t("all problems are collected, across documents and files", () => {
  const r = load("kind: Realm\nmetadata: {name: A}\n---\nkind: Pod\n", "kind: Stack\nmetadata: {name: s}\nspec: {}\n");
  assert.equal(
    errors(r).map((d) => [d.file, d.code]),
    [
      ["f0.yaml", "invalid-name"],
      ["f0.yaml", "unknown-kind"],
      ["f1.yaml", "missing-field"],
      ["f1.yaml", "missing-field"],
    ],
  );
});

t("YAML syntax errors carry line and column and do not stop other documents", () => {
  const r = load(`${REALM}---\nkind: Space\nmetadata: {name: [x}\n---\n${STACK}`);
  const e = errors(r);
  assert.ok(e.length >= 1);
  assert.ok(e.every((d) => d.code === "yaml-syntax" && d.line >= 4 && d.column >= 1));
  assert.ok(r.sources.has("realm/demo"));
  assert.ok(r.sources.has("stack/demo/apps/shop"));
});

t("a line indented deeper than its siblings: the remedy says to indent it like them", () => {
  const r = load("kind: Realm\nmetadata:\n  name: demo\n   labels: {team: a}\n");
  const e = errors(r);
  assert.ok(e.length >= 1);
  for (const d of e) {
    assert.is(d.code, "yaml-syntax");
    assert.is(d.line, 3);
    assert.match(d.remedy ?? "", "indent", d.remedy);
  }
  // The same message also covers `a: b: c` on one line.
  const inline = errors(load("kind: Realm\nmetadata:\n  name: demo: x\n"));
  assert.match(inline[0]?.remedy ?? "", "put an inner key on a line of its own");
});

t("anchors, aliases and merge keys are expanded", () => {
  const text = `${cell(
    "web",
    `    - &base
      id: a
      image: ${BOX}
      env: [A=1]
    - <<: *base
      id: b
`,
  )}`;
  const r = load(text);
  assert.equal(errors(r), []);
  const b = r.state.cells[0]!.spec.containers.find((c) => c.id === "b")!;
  assert.is(b.image, BOX);
  assert.equal(b.env, ["A=1"]);
});

t("an alias bomb is cut off by the node budget with a diagnostic", () => {
  const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 10; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  // Without the budget this expands 10^10 nodes: the run's time limit, not an assertion here, catches that.
  const r = load(`kind: Realm\nmetadata: {name: demo}\n${lines.join("\n")}\n`);
  assert.ok(r.diagnostics.some((d) => d.code === "yaml-structure" && d.message.includes("expands")));
});

t("binary, NUL bytes and huge numbers become diagnostics", () => {
  const r = load(
    "\u0000\u0001\u0002binary\uFFFD",
    "kind: Realm\nmetadata: {name: demo}\nspec: {namespace: 1e999999}\n",
  );
  assert.ok(r.errorCount >= 2);
  assert.ok(r.diagnostics.every((d) => d.line >= 1 && d.column >= 1));
});

t("input without any resource is an error, as kubectl's 'no objects passed to apply'", () => {
  const r = load("", "# nothing\n", "---\n...\n");
  assert.equal(
    r.diagnostics.map((d) => [d.code, d.file, d.line, d.column, d.message]),
    [["no-resources", "f0.yaml", 1, 1, "no resources in 3 files"]],
  );
  assert.is(r.sources.size, 0);
  // One real resource among empty files is fine: empty documents are only skipped.
  assert.is(load("", "kind: Realm\nmetadata: {name: demo}\n").errorCount, 0);
});

t.run();
