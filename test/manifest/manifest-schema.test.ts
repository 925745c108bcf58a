/**
 * `kuke schema manifest`, checked by a JSON Schema library (ajv, draft 2020-12): every document of
 * every valid fixture manifest passes; every invalid fixture whose problem is structural (a field,
 * a type, a value the shapes define) fails; and, over seeded random mutations of the valid fixtures,
 * the schema never refuses a manifest the validator accepts (KUKE_SCHEMA_SEED=<n> replays a run).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseAllDocuments, stringify } from "yaml";
import { loadManifests } from "../../src/manifest/index.js";
import { manifestJsonSchema } from "../../src/manifest/manifest-schema.js";
import { documentShape, KIND_NAMES } from "../../src/manifest/shapes.js";
import { compileSchema } from "../harness/json-schema.js";
import { seededRandom } from "../harness/seeded-random.js";

const t = suite("manifest/manifest-schema");
const check = compileSchema(manifestJsonSchema());
const repo = fileURLToPath(new URL("../../..", import.meta.url));

/** Every `.yaml` under `dir` of fixtures/, as [file, text]. */
function fixtures(dir: string): [string, string][] {
  return readdirSync(join(repo, "fixtures", dir))
    .filter((f) => f.endsWith(".yaml") && !f.endsWith(".k8s.yaml"))
    .sort()
    .map((f) => [`${dir}/${f}`, readFileSync(join(repo, "fixtures", dir, f), "utf8")]);
}

/** The documents of a YAML text as plain data (empty documents left out, as the loader skips them). */
function documents(text: string): unknown[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS({ maxAliasCount: 100 }) as unknown)
    .filter((d) => d !== null && d !== undefined);
}

const errorsOf = (file: string, text: string) =>
  loadManifests([{ file, text }]).diagnostics.filter((d) => d.severity === "error");

const VALID = [...fixtures("examples"), ...fixtures("export")];

for (const [file, text] of VALID) {
  t(`every document of ${file} is valid against kuke schema manifest`, () => {
    assert.equal(
      errorsOf(file, text).map((d) => d.message),
      [],
      "the fixture itself must be valid",
    );
    const docs = documents(text);
    assert.ok(docs.length > 0);
    for (const [i, doc] of docs.entries()) assert.ok(check(doc), `${file} document ${i}: ${check.errors().join("; ")}`);
  });
}

/**
 * Codes of problems the schema states: a field, a type, an allowed value, a required field, a
 * name, a relative path, a KEY=VALUE. A fixture with one of these errors must fail the schema;
 * the others (roots, ids, duplicates, egress targets, lengths) are the validator's alone.
 */
const STRUCTURAL = new Set([
  "unknown-field",
  "wrong-type",
  "missing-field",
  "invalid-value",
  "out-of-range",
  "unknown-kind",
  "unsupported-api-version",
  "invalid-name",
  "relative-path",
  "invalid-env",
  "invalid-security-opt",
  "invalid-namespace",
  "secret-name",
]);

const INVALID = fixtures("invalid");
let refused = 0;
for (const [file, text] of INVALID) {
  const errors = errorsOf(file, text);
  // Problems a YAML-to-data conversion hides (duplicate keys, aliases, binary tags) or paths the
  // document does not contain (a Container folded into a cell) are not the schema's to see.
  const structural = errors.filter((d) => STRUCTURAL.has(d.code));
  t(`${file}: refused by the validator${structural.length > 0 ? " and by the schema" : ""}`, () => {
    assert.ok(errors.length > 0, "an invalid fixture the validator accepts");
    let docs: unknown[];
    try {
      docs = documents(text);
    } catch {
      return; // not YAML a JSON Schema could be applied to
    }
    const verdicts = docs.map((d) => check(d));
    if (structural.length > 0) {
      assert.ok(
        verdicts.some((ok) => !ok),
        `the schema accepts ${file}, whose errors include ${structural.map((d) => `${d.code}: ${d.message}`).join("; ")}`,
      );
      refused++;
    }
  });
}

t("the schema refuses most invalid fixtures (the check above is not vacuous)", () => {
  assert.ok(refused >= INVALID.length / 2, `${refused} of ${INVALID.length}`);
});

t("every field of every kind's shape is in the schema, and nothing else", () => {
  const schema = manifestJsonSchema() as { $defs: Record<string, { properties: Record<string, unknown> }> };
  for (const kind of KIND_NAMES) {
    const spec = schema.$defs[kind]!.properties.spec as { properties: Record<string, unknown> };
    const shape = documentShape(kind).fields.spec as { fields: Record<string, unknown>; ignored?: string[] };
    assert.equal(
      Object.keys(spec.properties).sort(),
      [...new Set([...Object.keys(shape.fields), ...(shape.ignored ?? [])])].sort(),
      kind,
    );
  }
});

t("a document is checked against its own kind, and null means not set", () => {
  const realm = { apiVersion: "v1beta1", kind: "Realm", metadata: { name: "r", labels: null }, spec: null };
  assert.ok(check(realm), check.errors().join("; "));
  assert.not.ok(check({ ...realm, kind: "Cell" }), "a Realm's spec is not a Cell's");
  assert.not.ok(check({ kind: "Stack", metadata: { name: "s" }, spec: { realmId: "r" } }), "spaceId is required");
  const cell = {
    kind: "Cell",
    metadata: { name: "c" },
    spec: { realmId: "r", spaceId: "s", stackId: "t", containers: [{ id: "app", image: "busybox:1" }] },
  };
  assert.ok(check(cell), check.errors().join("; "));
  assert.not.ok(check({ ...cell, spec: { ...cell.spec, containers: [{ id: "app" }] } }), "image is required");
  assert.not.ok(check({ ...cell, spec: { ...cell.spec, containers: [{ id: "app", image: "b", imag: "x" }] } }));
  assert.not.ok(check({ ...realm, apiVersion: "v1" }));
});

/** A value of a random type, including values close to valid ones. */
const { random, int, pick } = seededRandom("manifest/manifest-schema", "KUKE_SCHEMA_SEED");
function randomValue(): unknown {
  return pick<unknown>([
    null,
    true,
    0,
    -1,
    70000,
    1.5,
    "",
    " ",
    "web",
    "Web_1",
    "/abs",
    "rel/path",
    "A=1",
    "1A=x",
    "ALL",
    "NET_ADMIN",
    "no-new-privileges",
    "seccomp=/p.json",
    "seccomp=rel",
    "always",
    "on-failure",
    "allow",
    "deny",
    "10.0.0.0/8",
    "8080:80",
    "busybox:1",
    [],
    ["x"],
    [{}],
    {},
    { id: "x", image: "busybox:1" },
  ]);
}

/** Changes one random node of `doc`: a new value, a removed field, or an added unknown field. */
function mutate(doc: unknown): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const nodes: [Record<string, unknown> | unknown[], string | number][] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) {
        nodes.push([v, i]);
        visit(x);
      }
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        nodes.push([v as Record<string, unknown>, k]);
        visit(x);
      }
    }
  };
  visit(copy);
  const [parent, key] = pick(nodes);
  const r = random();
  if (r < 0.7) (parent as Record<string | number, unknown>)[key] = randomValue();
  else if (r < 0.85 && !Array.isArray(parent)) delete parent[key as string];
  else if (!Array.isArray(parent))
    parent[pick(["x-y", "imagePullPolicy", "lifecycle", "ports", "status", "labels"])] = randomValue();
  return copy;
}

t("the schema never refuses a document the validator accepts (seeded mutations)", () => {
  const docs = VALID.flatMap(([, text]) => documents(text));
  let accepted = 0;
  for (let run = 0; run < 1500; run++) {
    let doc = pick(docs);
    for (let n = 1 + int(2); n > 0; n--) doc = mutate(doc);
    const text = stringify(doc);
    // A mutated document alone may lack its parents; the loader reports those to the planner, not as errors.
    if (errorsOf("mutant.yaml", text).length > 0) continue;
    accepted++;
    assert.ok(check(doc), `the validator accepts, the schema refuses:\n${text}\n${check.errors().join("\n")}`);
  }
  assert.ok(accepted > 100, `only ${accepted} accepted mutants: the property was barely exercised`);
});

t.run();
