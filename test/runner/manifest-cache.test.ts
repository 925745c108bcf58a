import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { loadManifests, type ManifestSource } from "../../src/manifest/index.js";
import {
  importClosure,
  importClosureHash,
  loaderIdentity,
  loadManifestsCached,
  MAX_ENTRIES,
} from "../../src/runner/manifest-cache.js";
import { runPathLayout } from "../../src/state/run-path.js";
import { onTeardown } from "../harness/teardown.js";

const t = suite("runner/manifest-cache");

const examples = fileURLToPath(new URL("../../../fixtures/examples/", import.meta.url));

/** An existing, empty run path. */
function runPath(): string {
  const base = mkdtempSync(join(tmpdir(), "kuke-manifest-cache-"));
  onTeardown(`remove ${base}`, () => rmSync(base, { recursive: true, force: true }));
  const root = join(base, "run");
  mkdirSync(root);
  return root;
}

function entries(root: string): string[] {
  try {
    return readdirSync(runPathLayout(root).manifestCache);
  } catch {
    return [];
  }
}

const WARNING = `kind: Realm
metadata: {name: w}
---
kind: Space
metadata: {name: s}
spec: {realmId: w}
---
kind: Stack
metadata: {name: t}
spec: {realmId: w, spaceId: s}
---
kind: Cell
metadata: {name: c}
spec:
  realmId: w
  spaceId: s
  stackId: t
  containers:
    - id: app
      image: busybox
      volumes:
        - {source: /proc, target: /host-proc}
`;

t(
  "a second load of the same files is served from the cache and equals a fresh load (every example, warnings too)",
  async () => {
    const root = runPath();
    const sets: ManifestSource[][] = readdirSync(examples).map((f) => [
      { file: `fixtures/examples/${f}`, text: readFileSync(join(examples, f), "utf8") },
    ]);
    sets.push(
      [{ file: "w.yaml", text: WARNING }],
      [
        {
          file: "all.yaml",
          text: sets
            .map((s) => s[0]?.text ?? "")
            .filter((text) => !text.includes("registryCredentials"))
            .join("\n---\n"),
        },
      ],
    );
    for (const sources of sets) {
      const fresh = loadManifests(sources);
      assert.is(fresh.errorCount, 0, sources[0]?.file);
      // Registry passwords are never written to disk (tested below).
      if (fresh.state.realms.some((r) => r.spec.registryCredentials.length > 0)) continue;
      const first = await loadManifestsCached(sources, { runPath: root });
      assert.is(first.outcome, "miss-stored", sources[0]?.file);
      const second = await loadManifestsCached(sources, { runPath: root });
      assert.is(second.outcome, "hit", sources[0]?.file);
      // Deep equality with prototypes, Map entries and undefined-valued properties.
      assert.ok(JSON.stringify([...second.load.sources]) === JSON.stringify([...fresh.sources]), "source positions");
      assert.equal(second.load, fresh, sources[0]?.file);
    }
    const warned = (await loadManifestsCached([{ file: "w.yaml", text: WARNING }], { runPath: root })).load;
    assert.is(warned.warningCount, 1);
    assert.is(warned.diagnostics[0]?.code, "volume-source");
    assert.is(warned.diagnostics[0]?.line, 22);
  },
);

t("another text, another file name, another loader or another file order is a miss", async () => {
  const root = runPath();
  const a = { file: "a.yaml", text: WARNING };
  const b = { file: "b.yaml", text: "kind: Realm\nmetadata: {name: other}\n" };
  assert.is((await loadManifestsCached([a], { runPath: root })).outcome, "miss-stored");
  // One byte more: the diagnostics' positions and the state could differ.
  const edited = { file: "a.yaml", text: WARNING.replace("image: busybox", "image: busybox:1") };
  const r = await loadManifestsCached([edited], { runPath: root });
  assert.is(r.outcome, "miss-stored");
  assert.is(r.load.state.cells[0]?.spec.containers.find((c) => c.id === "app")?.image, "busybox:1");
  // The same text under another name: diagnostics name the file as written.
  const renamed = await loadManifestsCached([{ file: "./a.yaml", text: WARNING }], { runPath: root });
  assert.is(renamed.outcome, "miss-stored");
  assert.is(renamed.load.diagnostics[0]?.file, "./a.yaml");
  assert.is((await loadManifestsCached([a, b], { runPath: root })).outcome, "miss-stored");
  assert.is((await loadManifestsCached([b, a], { runPath: root })).outcome, "miss-stored");
  // A changed loader (its code identity) never reads what the old one stored.
  const changed = await loadManifestsCached([a], { runPath: root, identity: "another build" });
  assert.is(changed.outcome, "miss-stored");
  assert.is((await loadManifestsCached([a], { runPath: root })).outcome, "hit");
});

t("files with errors or registry logins are never stored; a run path that does not exist is not created", async () => {
  const root = runPath();
  const invalid = { file: "bad.yaml", text: "kind: Realm\nmetadata: {name: Bad_Name}\n" };
  const r = await loadManifestsCached([invalid], { runPath: root });
  assert.is(r.outcome, "miss-not-stored");
  assert.ok(r.load.errorCount > 0);
  const login = {
    file: "r.yaml",
    text: `kind: Realm
metadata: {name: acme}
spec:
  registryCredentials:
    - {username: puller, password: s3cret-pw, serverAddress: "127.0.0.1:5000"}
`,
  };
  const l = await loadManifestsCached([login], { runPath: root });
  assert.is(l.outcome, "miss-not-stored");
  assert.is(l.load.state.realms[0]?.spec.registryCredentials[0]?.password, "s3cret-pw");
  assert.equal(entries(root), []);
  const absent = join(root, "not-yet");
  assert.is(
    (await loadManifestsCached([{ file: "w.yaml", text: WARNING }], { runPath: absent })).outcome,
    "miss-not-stored",
  );
  assert.throws(() => statSync(absent));
});

t("a corrupt or foreign entry is a miss and is replaced; entries are 0600", async () => {
  const root = runPath();
  const src = [{ file: "w.yaml", text: WARNING }];
  await loadManifestsCached(src, { runPath: root });
  const [name] = entries(root);
  assert.ok(name !== undefined);
  const file = join(runPathLayout(root).manifestCache, name);
  assert.is(statSync(file).mode & 0o777, 0o600);
  for (const junk of [Buffer.from("not v8"), Buffer.alloc(0), readFileSync(file).subarray(0, 100)]) {
    writeFileSync(file, junk);
    const r = await loadManifestsCached(src, { runPath: root });
    assert.is(r.outcome, "miss-stored");
    assert.equal(r.load, loadManifests(src));
  }
  // An entry under the right name holding another key (a copied file) is not trusted either.
  const other = [{ file: "x.yaml", text: WARNING }];
  await loadManifestsCached(other, { runPath: root });
  const otherName = entries(root).find((n) => n !== name) as string;
  writeFileSync(file, readFileSync(join(runPathLayout(root).manifestCache, otherName)));
  const r = await loadManifestsCached(src, { runPath: root });
  assert.is(r.outcome, "miss-stored");
  assert.is(r.load.diagnostics[0]?.file, "w.yaml");
});

t(`at most ${MAX_ENTRIES} entries are kept, the oldest removed first`, async () => {
  const root = runPath();
  const dir = runPathLayout(root).manifestCache;
  const first = [{ file: "n0.yaml", text: WARNING }];
  await loadManifestsCached(first, { runPath: root });
  const [oldest] = entries(root);
  utimesSync(join(dir, oldest as string), new Date(1000), new Date(1000));
  // A temporary file of a writer that died (pid 2^22 + 1 is above any pid_max) is removed too.
  const dead = `.${oldest}.tmp-4194305-00000000`;
  writeFileSync(join(dir, dead), "partial");
  for (let i = 1; i <= MAX_ENTRIES; i++)
    await loadManifestsCached([{ file: `n${i}.yaml`, text: WARNING }], { runPath: root });
  assert.is(entries(root).length, MAX_ENTRIES);
  assert.not.ok(entries(root).includes(oldest as string));
  assert.not.ok(entries(root).includes(dead));
  assert.is((await loadManifestsCached(first, { runPath: root })).outcome, "miss-stored");
});

t("the loader's identity covers its whole import closure and the yaml package's version", () => {
  const base = mkdtempSync(join(tmpdir(), "kuke-closure-"));
  onTeardown(`remove ${base}`, () => rmSync(base, { recursive: true, force: true }));
  mkdirSync(join(base, "src", "sub"), { recursive: true });
  mkdirSync(join(base, "node_modules", "dep"), { recursive: true });
  const write = (p: string, text: string) => writeFileSync(join(base, p), text);
  write("src/root.js", 'import { a } from "./sub/a.js";\nimport { x } from "dep";\nexport const r = a + x;\n');
  write("src/sub/a.js", 'export { b as a } from "../b.js";\nconst lazy = () => import("./c.js");\n');
  write("src/b.js", "export const b = 1;\n");
  write("src/sub/c.js", "export const c = 1;\n");
  write("src/unrelated.js", "export const u = 1;\n");
  write("node_modules/dep/package.json", '{"name":"dep","version":"1.0.0"}');
  const root = new URL(`file://${join(base, "src", "root.js")}`);
  const h0 = importClosureHash(root);
  assert.is(importClosureHash(root), h0);
  write("src/unrelated.js", "export const u = 2;\n");
  assert.is(importClosureHash(root), h0, "a module outside the closure does not count");
  for (const [p, text] of [
    ["src/b.js", "export const b = 2;\n"],
    ["src/sub/c.js", "export const c = 2;\n"],
    ["node_modules/dep/package.json", '{"name":"dep","version":"1.0.1"}'],
  ] as const) {
    const before = importClosureHash(root);
    write(p, text);
    assert.is.not(importClosureHash(root), before, p);
  }
  // kuke's own loader reaches the YAML adapter, the rules, the model, the planner's field table and yaml.
  const loader = importClosure(new URL("../../src/manifest/load.js", import.meta.url));
  const names = [...loader.modules.keys()].map((u) => u.replace(/^.*\/dist\/src\//, ""));
  for (const m of [
    "manifest/yaml-tree.js",
    "manifest/value-rules.js",
    "model/normalize.js",
    "planner/field-effects.js",
  ]) {
    assert.ok(names.includes(m), m);
  }
  assert.equal([...loader.packages.keys()], ["yaml"]);
  assert.match(loader.packages.get("yaml") ?? "", /"version"/);
  assert.not.ok([...loader.modules.values()].some((text) => text.startsWith("missing:")));
  assert.match(loaderIdentity(), /^[0-9a-f]{64}$/);
});

t.run();
