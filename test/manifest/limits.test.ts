import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type Diagnostic, loadManifests, readManifestSources } from "../../src/manifest/index.js";
import { MAX_DEPTH, MAX_DOCUMENTS, MAX_FILE_BYTES, NODE_BUDGET } from "../../src/manifest/limits.js";
import { scanNesting } from "../../src/manifest/nesting-scan.js";

/**
 * The loader's bounds (src/manifest/limits.ts) and the rules that refuse at validate time what
 * apply would fail on: each input over a bound is an error naming the bound, at a position, and
 * the input just under it is not refused for that reason.
 */
const t = suite("manifest/limits");

const load = (text: string) => loadManifests([{ file: "m.yaml", text }]);
const codes = (ds: Diagnostic[]) => ds.filter((d) => d.severity === "error").map((d) => d.code);
const REALM = "kind: Realm\nmetadata: {name: demo}\n";
const BOX = "docker.io/library/busybox:latest";
const cellWith = (fields: string) =>
  `kind: Cell
metadata: {name: web}
spec:
  realmId: demo
  spaceId: apps
  stackId: shop
  containers:
    - id: app
      image: ${BOX}
${fields}`;

t("a file over the size bound is refused before parsing, naming the bound", () => {
  const big = `${REALM}${"# padding\n".repeat(MAX_FILE_BYTES / 10)}`;
  const r = load(big);
  assert.equal(
    r.diagnostics.map((d) => [d.code, d.line, d.column, d.message]),
    [["file-too-large", 1, 1, "the file is larger than 4 MiB, the most kuke reads per file"]],
  );
  assert.ok(r.diagnostics[0]!.remedy.includes("split"));
  // Multi-byte characters count as bytes, not characters.
  assert.equal(codes(load(`${REALM}# ${"é".repeat(MAX_FILE_BYTES / 2)}\n`).diagnostics), ["file-too-large"]);
  assert.equal(codes(load(`${REALM}# ${"x".repeat(MAX_FILE_BYTES / 2)}\n`).diagnostics), []);
});

t("reading a manifest stops one byte past the bound, so /dev/zero ends as 'too large'", async () => {
  const [source] = await readManifestSources(["/dev/zero"], process.stdin);
  assert.is(source!.text.length, MAX_FILE_BYTES + 1);
  assert.equal(codes(loadManifests([source!]).diagnostics), ["file-too-large"]);
});

t("more documents than the bound is one error at the first one too many", () => {
  const docs = (n: number) =>
    Array.from({ length: n }, (_, i) => `kind: Realm\nmetadata: {name: r${i}}\n`).join("---\n");
  const r = load(docs(MAX_DOCUMENTS + 1));
  assert.equal(
    r.diagnostics.map((d) => [d.code, d.documentIndex, d.line]),
    // the `---` line that starts the document
    [["too-many-documents", MAX_DOCUMENTS, 3 * MAX_DOCUMENTS]],
  );
  assert.is(load(docs(MAX_DOCUMENTS)).errorCount, 0);
});

const flow = (depth: number) => `${REALM}x: ${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}\n`;

t("nesting deeper than the bound is refused at the place it goes too deep", () => {
  // The document's own mapping is one level: MAX_DEPTH levels in all are fine (x is just unknown).
  assert.equal(codes(load(flow(MAX_DEPTH)).diagnostics), ["unknown-field"]);
  const r = load(flow(MAX_DEPTH + 1));
  assert.equal(
    r.diagnostics.map((d) => [d.code, d.line, d.column, d.message]),
    [["too-deep", 3, 3 + MAX_DEPTH, `nesting goes deeper than ${MAX_DEPTH} levels of mappings and lists`]],
  );
  // Block nesting by indentation, and compact "- - - -" lists.
  const block = Array.from({ length: MAX_DEPTH + 2 }, (_, i) => `${"  ".repeat(i)}k${i}:`).join("\n");
  assert.equal(codes(load(`${REALM}${block} 1\n`).diagnostics), ["too-deep"]);
  assert.equal(codes(load(`${REALM}x: \n${"- ".repeat(MAX_DEPTH + 1)}1\n`).diagnostics), ["too-deep"]);
});

t("a too-deep document is refused alone: the other documents of the file are still read", () => {
  const r = load(`${flow(MAX_DEPTH + 5)}---\nkind: Realm\nmetadata: {name: two}\n`);
  assert.equal(codes(r.diagnostics), ["too-deep"]);
  assert.is(r.diagnostics[0]!.documentIndex, 0);
  assert.ok(r.sources.has("realm/two"));
});

t("absurd nesting is refused by the pre-scan, without the parser", () => {
  const r = load(`${REALM}---\nx: ${"[".repeat(MAX_FILE_BYTES - 100)}`);
  assert.equal(
    r.diagnostics.map((d) => [d.code, d.documentIndex, d.line]),
    [["too-deep", 1, 4]],
  );
  assert.equal(codes(load(`${"- ".repeat(MAX_FILE_BYTES / 2 - 1)}`).diagnostics), ["too-deep"]);
});

t("the pre-scan skips quoted strings, comments and block scalars", () => {
  const brackets = "[".repeat(5000);
  const text = `a: "${brackets}"\nb: '${brackets}'\n# ${brackets}\nc: |\n  ${brackets}\n  ${"- ".repeat(3000)}\nd: 1\n`;
  assert.is(scanNesting(text, 100), undefined);
  // Two block levels (the line, the key) and 99 brackets: the 99th bracket is column 102.
  assert.equal(scanNesting(`a: ${brackets}`, 100), { line: 1, column: 102, documentIndex: 0 });
  assert.equal(scanNesting(`---\na: 1\n---\nb: ${brackets}`, 100)?.documentIndex, 1);
});

t("aliases that nest deeper once expanded are refused too", () => {
  const lines = ["a0: &a0 [x]"];
  for (let i = 1; i <= MAX_DEPTH; i++) lines.push(`a${i}: &a${i} [*a${i - 1}]`);
  const r = load(`${REALM}${lines.join("\n")}\n`);
  assert.ok(
    r.diagnostics.some((d) => d.code === "too-deep" && d.message.endsWith("once aliases are expanded")),
    JSON.stringify(r.diagnostics.slice(0, 3)),
  );
});

t("budgets count the whole file: alias bombs spread over documents still stop", () => {
  const bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 5; i++)
    bomb.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  // 100 000 nodes per document: under the budget alone, over it together.
  const docs = Array.from({ length: Math.ceil(NODE_BUDGET / 100_000) + 1 }, () => `${REALM}${bomb.join("\n")}\n`);
  const r = load(docs.join("---\n"));
  const spent = r.diagnostics.filter((d) => d.message.includes(`more than ${NODE_BUDGET} nodes`));
  assert.is(spent.length, 1);
  // A big scalar repeated by aliases is bounded by size, not by node count.
  const text = `${REALM}a: &big "${"x".repeat(1024 * 1024)}"\nb: [${Array(20).fill("*big").join(", ")}]\n`;
  assert.ok(load(text).diagnostics.some((d) => d.message.includes("more than 16 MiB of text")));
});

t("aliases resolve to the last anchor of that name before them; later anchors do not count", () => {
  const r = load(`${REALM}labels: &l {a: "1"}\n`);
  assert.equal(codes(r.diagnostics), ["unknown-field"]);
  const text = `kind: Realm
metadata:
  name: &n first
  labels: {x: *n}
spec: {namespace: &n second}
status: [*n, *later]
later: &later 1
`;
  const d = load(text).diagnostics;
  assert.ok(
    d.some((x) => x.message === "alias *later refers to no anchor"),
    JSON.stringify(d),
  );
  const ok = load(`kind: Realm\nmetadata:\n  name: &n demo\n  labels: {x: *n}\n`);
  assert.is(ok.errorCount, 0);
  assert.equal(ok.state.realms[0]!.labels, { x: "demo" });
});

t("a repeated key is an error pointing at the repeat and naming the first", () => {
  const r = load("kind: Realm\nmetadata:\n  name: demo\n  labels: {}\n  name: other\n");
  assert.equal(
    r.diagnostics.map((d) => [d.code, d.line, d.column, d.message]),
    [["duplicate-key", 5, 3, "key 'name' is repeated (first at line 3)"]],
  );
});

t("paths must fit Linux's PATH_MAX and NAME_MAX", () => {
  const long = `/${"a".repeat(256)}`;
  const r = load(
    cellWith(`      workingDir: ${long}\n      volumes: [{source: /${"b/".repeat(2100)}, target: /data}]\n`),
  );
  assert.equal(codes(r.diagnostics), ["path-too-long", "path-too-long"]);
  assert.match(r.diagnostics[0]!.message, "file names are at most 255 bytes (NAME_MAX)");
  assert.match(r.diagnostics[1]!.message, "Linux paths are at most 4095 bytes (PATH_MAX)");
  assert.equal(codes(load(cellWith(`      workingDir: /${"a".repeat(255)}\n`)).diagnostics), []);
});

t("each argument fits MAX_ARG_STRLEN and all of them fit the execve budget", () => {
  const arg = (n: number) => `"${"x".repeat(n)}"`;
  assert.equal(codes(load(cellWith(`      args: [${arg(131_071)}]\n`)).diagnostics), []);
  const one = load(cellWith(`      args: [${arg(131_072)}]\n`));
  assert.equal(
    one.diagnostics.map((d) => [d.code, d.path]),
    [["argument-too-long", "spec.containers[0].args[0]"]],
  );
  assert.equal(codes(load(cellWith(`      env: ["A=${"x".repeat(131_072)}"]\n`)).diagnostics), ["argument-too-long"]);
  assert.equal(codes(load(cellWith(`      command: ${arg(200_000)}\n`)).diagnostics), ["argument-too-long"]);
  const many = load(cellWith(`      args: [${Array(9).fill(arg(120_000)).join(", ")}]\n`));
  assert.equal(codes(many.diagnostics), ["arguments-too-large"]);
  assert.match(many.diagnostics[0]!.message, "kuke allows 1048576");
});

t("a container too large for containerd's message is refused", () => {
  const vol = `{source: /${"v".repeat(200)}, target: /${"w".repeat(200)}}`;
  const r = load(
    cellWith(
      `      volumes: &v [${Array(200).fill(vol).join(", ")}]\n      tmpfs: [{path: /t, options: [*v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v, *v]}]\n`,
    ),
  );
  // tmpfs options must be strings, so those are wrong types, but the volumes alone are fine:
  assert.not.ok(codes(r.diagnostics).includes("container-too-large"));
  const text = cellWith(
    `      env: &e [${Array(4000)
      .fill(`"A=${"e".repeat(300)}"`)
      .join(", ")}]\n`,
  );
  assert.equal(codes(load(text).diagnostics), ["arguments-too-large"]);
  const huge = cellWith(`      volumes: [${Array(6000).fill(vol).join(", ")}]\n`);
  assert.equal(codes(load(huge).diagnostics), ["container-too-large"]);
});

t("volumes: a target of / is refused; host-wide sources warn", () => {
  const r = load(
    cellWith(`      volumes:
        - {source: /data, target: /}
        - {source: /data, target: //./}
        - {source: /, target: /host}
        - {source: /proc/, target: /p}
        - {source: /sys, target: /s, readOnly: true}
        - {source: /x/../dev, target: /d}
        - {source: /dev/fuse, target: /f}
        - {source: /srv, target: /srv}
`),
  );
  assert.equal(
    r.diagnostics.map((d) => [d.severity, d.code, d.path]),
    [
      ["error", "volume-target", "spec.containers[0].volumes[0].target"],
      ["error", "volume-target", "spec.containers[0].volumes[1].target"],
      ["warning", "volume-source", "spec.containers[0].volumes[2].source"],
      ["warning", "volume-source", "spec.containers[0].volumes[3].source"],
      ["warning", "volume-source", "spec.containers[0].volumes[4].source"],
      ["warning", "volume-source", "spec.containers[0].volumes[5].source"],
    ],
  );
  assert.match(r.diagnostics[2]!.message, "the host's whole file system");
});

t.run();
