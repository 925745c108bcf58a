/**
 * Hostile manifests, generated: a seeded, structure-aware fuzzer mutates the valid examples into
 * deep nesting, huge scalars, many keys, anchors and aliases (bombs included), wrong types, odd
 * Unicode, binary and many documents, and runs each through the real loader and, when it
 * validates, the planner and both plan renderers, in process. Each case must end as `kuke validate`
 * would, exit 0 or 65, with every diagnostic placed; the per-case bound is a hang guard, not a
 * speed claim. A handful of cases also go through the `kuke validate` CLI as a process.
 * The seed is printed; KUKE_FUZZ_SEED=<n> replays a run.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseAllDocuments, stringify } from "yaml";
import { formatDiagnostics, type LoadResult, loadManifests, validationReport } from "../../src/manifest/index.js";
import { planToSteps } from "../../src/planner/index.js";
import { renderPlanHuman, renderPlanJson } from "../../src/render/index.js";
import { emptyActual, planFor } from "../../src/runner/planning.js";
import { seededRandom } from "../harness/seeded-random.js";
import { onTeardown } from "../harness/teardown.js";

const t = suite("manifest/fuzz");
const CASES = 1000;
/** A case taking longer than this is a hang, whatever the machine's load. */
const HANG_MS = 10_000;
const { seed, random, int, pick, someNode } = seededRandom("manifest/fuzz", "KUKE_FUZZ_SEED");

const repo = fileURLToPath(new URL("../../..", import.meta.url));
const examplesDir = join(repo, "fixtures", "examples");
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => readFileSync(join(examplesDir, f), "utf8"));
const asObjects = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as unknown);

const ODD = [
  "ünïcödé",
  "\u200b",
  "\u202e",
  "👩‍👩‍👧",
  "\ud800",
  "\u0000",
  "\ufeff",
  "Ｗｅｂ",
  "a\u0301",
  "\u2028",
  "𝕜𝕦𝕜𝕖",
  "\u001b[31m",
];
const oddString = () => Array.from({ length: 1 + int(4) }, () => pick(ODD)).join(pick(["", "-", " ", "x"]));

type Json = unknown;
/** A random value of a random type: the "wrong type" source. */
function anyValue(depth = 0): Json {
  switch (int(depth > 2 ? 6 : 8)) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick([0, -1, 2 ** 53 + 1, 1e308, -0, 0.5, 65536, 4294967296]);
    case 3:
      return oddString();
    case 4:
      return pick(["", "/", "/proc", "..", "a".repeat(63), "a".repeat(64), "Web_1", "K=V", "ALL", "10.0.0.0/8"]);
    case 5:
      return "x".repeat(int(200));
    case 6:
      return Array.from({ length: int(4) }, () => anyValue(depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: int(4) }, () => [pick(KEYS), anyValue(depth + 1)]));
  }
}
const KEYS = [
  "id",
  "image",
  "root",
  "kind",
  "spec",
  "metadata",
  "name",
  "containers",
  "args",
  "env",
  "volumes",
  "secrets",
  "labels",
  "<<",
  "x",
];

function setSomewhere(doc: Json, value: Json): void {
  const node = someNode(doc, 10, 0.3);
  if (node === undefined) return;
  if (Array.isArray(node)) node[int(node.length + 1)] = value;
  else {
    const keys = Object.keys(node);
    node[keys.length > 0 && random() < 0.7 ? pick(keys) : pick(KEYS)] = value;
  }
}

function nested(depth: number): Json {
  let v: Json = "leaf";
  for (let i = 0; i < depth; i++) v = random() < 0.5 ? [v] : { [pick(KEYS)]: v };
  return v;
}

/** Structure-aware mutations: edit the parsed documents, then write YAML again. */
const STRUCTURAL: Record<string, (docs: Json[]) => void> = {
  "deep nesting": (docs) => setSomewhere(pick(docs), nested(1 + int(120))),
  "huge scalar": (docs) => setSomewhere(pick(docs), "y".repeat(1000 + int(100_000))),
  "many keys": (docs) =>
    setSomewhere(pick(docs), Object.fromEntries(Array.from({ length: 1 + int(2000) }, (_, i) => [`k${i}`, `${i}`]))),
  "wrong type": (docs) => {
    for (let n = 1 + int(4); n > 0; n--) setSomewhere(pick(docs), anyValue());
  },
  "odd unicode": (docs) => setSomewhere(pick(docs), oddString()),
  "long names": (docs) => setSomewhere(pick(docs), pick(["n".repeat(63), "n".repeat(64), `/${"p".repeat(5000)}`])),
  "many items": (docs) =>
    setSomewhere(
      pick(docs),
      Array.from({ length: int(2000) }, () => pick(["A=1", "/x", "ALL"])),
    ),
  "many documents": (docs) => {
    // Copies of small documents only, so one case stays well under a megabyte.
    const small = docs.filter((d) => JSON.stringify(d ?? null).length < 4000);
    for (let n = int(100); n > 0; n--)
      docs.push(random() < 0.3 || small.length === 0 ? null : structuredClone(pick(small)));
  },
  "drop documents": (docs) => docs.splice(0, int(docs.length + 1)),
};

/** Text-level mutations: what a YAML writer would never produce. */
const TEXTUAL: Record<string, (text: string) => string> = {
  "flow nesting": (text) =>
    insert(text, `x: ${"[".repeat(1 + int(6000))}${random() < 0.5 ? "]".repeat(int(6000)) : ""}\n`),
  "block nesting": (text) =>
    insert(text, `${Array.from({ length: 1 + int(200) }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n")} v\n`),
  "dash nesting": (text) => insert(text, `x:\n${"- ".repeat(1 + int(5000))}v\n`),
  "alias bomb": (text) => {
    const width = 2 + int(12);
    const lines = [`b0: &b0 [${Array(width).fill("x").join(", ")}]`];
    for (let i = 1; i < 4 + int(8); i++)
      lines.push(
        `b${i}: &b${i} [${Array(width)
          .fill(`*b${i - 1}`)
          .join(", ")}]`,
      );
    return insert(text, `${lines.join("\n")}\n`);
  },
  "alias chain": (text) => {
    const lines = ["c0: &c0 [x]"];
    for (let i = 1; i < 1 + int(200); i++) lines.push(`c${i}: &c${i} [*c${i - 1}]`);
    return insert(text, `${lines.join("\n")}\n`);
  },
  "big alias": (text) =>
    insert(
      text,
      `big: &big "${"z".repeat(int(100_000))}"\nuse: [${Array(1 + int(60))
        .fill("*big")
        .join(", ")}]\n`,
    ),
  "self alias": (text) => insert(text, "loop: &l [*l]\nmerge: &m {<<: *m}\n"),
  "repeated keys": (text) => insert(text, "dup: 1\n".repeat(1 + int(3000))),
  binary: (text) => {
    const bytes = Array.from({ length: 1 + int(2000) }, () => String.fromCharCode(int(256))).join("");
    return insert(text, bytes);
  },
  "binary tag": (text) => insert(text, `blob: !!binary ${Buffer.from(oddString()).toString("base64")}\n`),
  "syntax noise": (text) => {
    let out = text;
    for (let n = 1 + int(6); n > 0; n--)
      out = insert(
        out,
        pick([
          "[",
          "]",
          "{",
          "}",
          ": ",
          "- ",
          "? ",
          "&a ",
          "*a",
          "!t ",
          "|\n",
          "'",
          '"',
          "\t",
          "---\n",
          "...\n",
          "%YAML 1.2\n",
          "#",
        ]),
      );
    return out;
  },
  truncate: (text) => text.slice(0, int(text.length + 1)),
  "empty file": () => pick(["", "\n", "# only a comment\n", "---\n...\n", "---\n---\n"]),
};

function insert(text: string, piece: string): string {
  const lines = text.split("\n");
  const at = int(lines.length + 1);
  return [...lines.slice(0, at), piece.replace(/\n$/, ""), ...lines.slice(at)].join("\n");
}

interface Case {
  name: string;
  text: string;
}

function makeCase(): Case {
  const base = pick(examples);
  const names: string[] = [];
  let text = base;
  if (random() < 0.6) {
    const docs = asObjects(base);
    for (let n = 1 + int(2); n > 0; n--) {
      const [name, fn] = pick(Object.entries(STRUCTURAL));
      names.push(name);
      fn(docs);
    }
    text = docs.map((d) => stringify(d)).join("---\n");
  }
  if (names.length === 0 || random() < 0.4) {
    const [name, fn] = pick(Object.entries(TEXTUAL));
    names.push(name);
    text = fn(text);
  }
  return { name: names.join(" + "), text };
}

/** What `kuke validate` and `kuke plan --refresh=false` do with a manifest, in process. */
function runCase(file: string, text: string): { code: number; result: LoadResult } {
  const result = loadManifests([{ file, text }]);
  formatDiagnostics(result.diagnostics);
  JSON.stringify(validationReport(result));
  if (result.errorCount > 0) return { code: 65, result };
  const actual = emptyActual();
  const plan = planFor(result.state, actual, {});
  if (plan.errors.some((e) => e.severity === "error")) return { code: 65, result };
  planToSteps(plan, result.state, actual);
  renderPlanHuman(plan, { color: false });
  renderPlanJson(plan);
  return { code: 0, result };
}

const kept: Case[] = [];

t(`${CASES} hostile manifests end in exit 0 or 65, each within ${HANG_MS} ms, every diagnostic placed`, () => {
  const byCode = { 0: 0, 65: 0 };
  const byKind = new Map<string, number>();
  let slowest = { ms: 0, name: "", bytes: 0 };
  for (let i = 0; i < CASES; i++) {
    let c: Case;
    try {
      c = makeCase();
    } catch {
      // yaml's writer refusing an odd value is the generator's problem, not kuke's: draw again.
      i--;
      continue;
    }
    const file = `fuzz-${i}.yaml`;
    const started = performance.now();
    let out: { code: number; result: LoadResult };
    try {
      out = runCase(file, c.text);
    } catch (e) {
      assert.unreachable(`seed ${seed}, case ${i} (${c.name}) threw: ${e instanceof Error ? e.stack : String(e)}`);
      return;
    }
    const ms = performance.now() - started;
    assert.ok(ms < HANG_MS, `seed ${seed}, case ${i} (${c.name}, ${c.text.length} chars) took ${ms.toFixed(0)} ms`);
    if (ms > slowest.ms) slowest = { ms, name: c.name, bytes: Buffer.byteLength(c.text) };
    byCode[out.code as 0 | 65]++;
    for (const k of c.name.split(" + ")) byKind.set(k, (byKind.get(k) ?? 0) + 1);
    for (const d of out.result.diagnostics) {
      const placed =
        d.file === file && d.line >= 1 && d.column >= 1 && d.documentIndex >= 0 && d.message !== "" && d.remedy !== "";
      assert.ok(placed, `seed ${seed}, case ${i} (${c.name}): diagnostic without a place: ${JSON.stringify(d)}`);
    }
    if (i % 125 === 0) kept.push(c);
  }
  process.stdout.write(
    `manifest/fuzz: ${CASES} cases, ${byCode[0]} exit 0, ${byCode[65]} exit 65; slowest ${slowest.ms.toFixed(0)} ms (${slowest.name}, ${slowest.bytes} bytes)\n`,
  );
  // The generator must reach both outcomes and every mutation, or this test proves little.
  assert.ok(byCode[0] > 0 && byCode[65] > CASES / 2, JSON.stringify(byCode));
  for (const k of [...Object.keys(STRUCTURAL), ...Object.keys(TEXTUAL)]) {
    assert.ok((byKind.get(k) ?? 0) > 0, `mutation '${k}' never ran`);
  }
});

t("a handful of them through the kuke validate CLI process: the same exit code", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kuke-fuzz-"));
  onTeardown("fuzz temp dir", () => rm(dir, { recursive: true, force: true }));
  const main = join(repo, "dist", "src", "cli", "main.js");
  const cases = [...kept, { name: "valid example", text: examples[0]! }, { name: "empty", text: "" }];
  try {
    for (const [i, c] of cases.entries()) {
      const file = join(dir, `case-${i}.yaml`);
      await writeFile(file, c.text);
      // validate alone: 65 for diagnostics, whatever the planner would say.
      const expected = loadManifests([{ file, text: c.text }]).errorCount > 0 ? 65 : 0;
      const r = spawnSync(process.execPath, [main, "validate", "-f", file], { encoding: "utf8", timeout: 60_000 });
      assert.is(r.status, expected, `seed ${seed}, ${c.name}: ${r.stderr.slice(0, 500)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

t.run();
