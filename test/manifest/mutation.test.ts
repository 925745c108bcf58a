import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseAllDocuments, stringify } from "yaml";
import { formatDiagnostics, loadManifests, validationReport } from "../../src/manifest/index.js";
import { seededRandom } from "../harness/seeded-random.js";

/**
 * Feeds mutated manifests to the loader: it must never throw, and every diagnostic must say where
 * (file, line, column). The seed is printed; KUKE_MUTATION_SEED=<n> replays a run.
 */
const t = suite("manifest/mutation");
const RUNS = 1200;
const { seed, random, int, pick, someNode } = seededRandom("manifest/mutation", "KUKE_MUTATION_SEED");

const repo = fileURLToPath(new URL("../../..", import.meta.url));
const corpus: string[] = ["examples", "invalid"].flatMap((d) =>
  readdirSync(join(repo, "fixtures", d))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => readFileSync(join(repo, "fixtures", d, f), "utf8")),
);

const KEYS = [
  "id",
  "image",
  "root",
  "kind",
  "spec",
  "metadata",
  "name",
  "containers",
  "realmId",
  "password",
  "<<",
  "ports",
  "status",
  "x-y",
  "",
];
function randomScalar(): unknown {
  switch (int(9)) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return int(100000) - 50000;
    case 3:
      return pick([1e308, -0, 0.5, Number.MAX_SAFE_INTEGER + 2, 2 ** 64]);
    case 4:
      return "";
    case 5:
      return pick([
        "Web_1",
        "root",
        "/abs",
        "rel/path",
        "a".repeat(300),
        "CAP_X",
        "seccomp=x",
        "K=V",
        "10.0.0.0/33",
        "ünï",
      ]);
    case 6:
      return [];
    case 7:
      return {};
    default:
      return Array.from({ length: int(12) }, () => String.fromCharCode(32 + int(95))).join("");
  }
}

function mutateValue(doc: unknown): unknown {
  const node = someNode(doc, 8, 0.25);
  if (node === undefined) return randomScalar();
  const keys = Object.keys(node);
  const key = keys.length > 0 ? pick(keys) : "0";
  const rec = node as Record<string, unknown>;
  switch (int(6)) {
    case 0: // delete a field or item
      if (Array.isArray(node)) node.splice(Number(key), 1);
      else delete rec[key];
      break;
    case 1: // duplicate a field under another name, or an item
      if (Array.isArray(node)) node.push(structuredClone(node[Number(key)]));
      else rec[`${key}${pick(["", "s", "_2", "Id"])}`] = structuredClone(rec[key]);
      break;
    case 2: // retype: wrap, stringify, or replace with a random scalar
      rec[key] = pick([[rec[key]], String(rec[key]), { value: rec[key] }, randomScalar()]);
      break;
    case 3: // rename a key
      if (!Array.isArray(node)) {
        const v = rec[key];
        delete rec[key];
        rec[pick(KEYS)] = v;
      }
      break;
    case 4: // add an unknown or known field with a random value
      if (Array.isArray(node)) node.push(randomScalar());
      else rec[pick(KEYS)] = randomScalar();
      break;
    default: // replace with a random array
      rec[key] = Array.from({ length: int(4) }, randomScalar);
  }
  return doc;
}

const SYNTAX = [
  "\n---\n",
  "\n...\n",
  ": ",
  "[",
  "]",
  "{",
  "}",
  "&a ",
  "*a",
  "<<: *a\n",
  "!!binary ",
  "!foo ",
  "\t",
  "? ",
  "|\n",
  '"',
  "'",
  "%YAML 1.1\n",
  "\u0000",
  "#",
  "- ",
  "\n  x: 1\n",
  "*nope",
];

function mutateText(text: string): string {
  switch (int(4)) {
    case 0: // truncate
      return text.slice(0, int(text.length + 1));
    case 1: {
      // swap two documents
      const docs = text.split(/^---.*$/m);
      if (docs.length > 1) {
        const i = int(docs.length);
        const j = int(docs.length);
        [docs[i], docs[j]] = [docs[j]!, docs[i]!];
      }
      return docs.join("---\n");
    }
    case 2: {
      // inject YAML syntax
      let out = text;
      for (let n = 1 + int(3); n > 0; n--) {
        const at = int(out.length + 1);
        out = out.slice(0, at) + pick(SYNTAX) + out.slice(at);
      }
      return out;
    }
    default: {
      // duplicate a line (often a duplicate key)
      const lines = text.split("\n");
      const i = int(lines.length);
      lines.splice(i, 0, lines[i] ?? "");
      return lines.join("\n");
    }
  }
}

function mutateStructure(text: string): string {
  const docs = parseAllDocuments(text).map((d) => (d.errors.length === 0 ? d.toJS({ maxAliasCount: 100 }) : null));
  const i = int(Math.max(docs.length, 1));
  for (let n = 1 + int(3); n > 0; n--) docs[i] = mutateValue(docs[i] ?? {});
  return docs.map((d) => stringify(d ?? null)).join("---\n");
}

t(`${RUNS} mutated manifests never throw and every diagnostic has a place`, () => {
  let withErrors = 0;
  for (let run = 0; run < RUNS; run++) {
    const base = pick(corpus);
    let text: string;
    try {
      text = random() < 0.5 ? mutateStructure(base) : mutateText(base);
      if (random() < 0.2) text = mutateText(text);
    } catch {
      // The mutator itself (yaml's stringify of odd values) may fail: that input is just skipped.
      continue;
    }
    const file = `m${run}.yaml`;
    let result: ReturnType<typeof loadManifests>;
    try {
      result = loadManifests([{ file, text }]);
      formatDiagnostics(result.diagnostics);
      JSON.stringify(validationReport(result));
    } catch (e) {
      assert.unreachable(
        `seed ${seed}, run ${run}: threw ${e instanceof Error ? e.stack : String(e)}\n--- input ---\n${text}`,
      );
      return;
    }
    if (result.errorCount > 0) withErrors++;
    for (const d of result.diagnostics) {
      const placed =
        d.file === file &&
        Number.isInteger(d.line) &&
        d.line >= 1 &&
        Number.isInteger(d.column) &&
        d.column >= 1 &&
        Number.isInteger(d.documentIndex) &&
        d.documentIndex >= 0 &&
        d.message !== "" &&
        d.remedy !== "";
      assert.ok(
        placed,
        `seed ${seed}, run ${run}: diagnostic without a place: ${JSON.stringify(d)}\n--- input ---\n${text}`,
      );
    }
  }
  // The mutations must actually produce invalid input, or this test proves nothing.
  assert.ok(withErrors > RUNS / 4, `only ${withErrors} of ${RUNS} mutated manifests had errors`);
});

t.run();
