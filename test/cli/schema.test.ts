/**
 * `kuke schema plan|manifest` as a user runs it: the printed schemas are draft 2020-12 JSON that a
 * validator library compiles, the plan schema accepts what `kuke plan -o json` prints and the
 * manifest schema the example manifests; an unknown name is a usage error.
 */
import { readFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseAllDocuments } from "yaml";
import { compileSchema } from "../harness/json-schema.js";
import { fixture, hostlessCli } from "./capture.js";

const t = suite("cli/schema");
const cli = hostlessCli(t, "kuke-cli-schema");

t("kuke schema plan accepts what kuke plan -o json prints", async () => {
  const r = await cli.kuke(["schema", "plan"]);
  assert.is(r.code, 0, r.stderr);
  const schema = JSON.parse(r.stdout);
  assert.is(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  const check = compileSchema(schema);
  for (const file of ["examples/multi-space.yaml", "examples/stack.yaml"]) {
    const plan = await cli.kuke(["plan", "--refresh=false", "-o", "json", "-f", fixture(file)]);
    assert.is(plan.code, 0, plan.stderr);
    assert.ok(check(JSON.parse(plan.stdout)), `${file}: ${check.errors().join("; ")}`);
  }
});

t("kuke schema manifest accepts the example manifests and refuses an unknown field", async () => {
  const r = await cli.kuke(["schema", "manifest"]);
  assert.is(r.code, 0, r.stderr);
  const check = compileSchema(JSON.parse(r.stdout));
  const docs = parseAllDocuments(readFileSync(fixture("examples/stack.yaml"), "utf8")).map((d) => d.toJS());
  for (const doc of docs.filter((d) => d !== null)) assert.ok(check(doc), check.errors().join("; "));
  assert.not.ok(check({ kind: "Realm", metadata: { name: "r" }, spec: { namespaec: "x" } }));
});

t("kuke schema with an unknown name: usage error naming the choices", async () => {
  const r = await cli.kuke(["schema", "plans"]);
  assert.is(r.code, 64);
  assert.is(r.stdout, "");
  assert.match(r.stderr, "manifest, plan");
});

t.run();
