/**
 * kukeon's command line on the real host (harness containerd, temporary run path): `apply -f FILE
 * -o yaml` runs without asking and prints the result as YAML, `delete --force` of a resource kuke
 * has no record of purges what is left, `delete -f FILE -o json` removes what the file declares,
 * and `purge realm … --cascade --force` finishes the job.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parse as parseYaml } from "yaml";
import { SPACE, STACK, type StackHost, stackHost } from "./stack-host.js";

const t = suite("e2e/kukeon-cli");
let h: StackHost;

t.before(async () => {
  h = await stackHost();
});
t.after(async () => {
  await h?.cleanup();
});

const cellNames = async (): Promise<string[]> => {
  const r = await h.kuke(["get", "cells", "--realm", h.realm, "-o", "json"]);
  assert.is(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name).sort();
};

t("apply -f FILE -o yaml: no question, the result document as YAML", async () => {
  const r = await h.kuke(["apply", "-f", h.manifest, "-o", "yaml"]);
  assert.is(r.code, 0, r.stderr);
  const doc = parseYaml(r.stdout) as { format_version: string; status: string; steps: unknown };
  assert.is(doc.format_version, "1");
  assert.is(doc.status, "succeeded");
  assert.equal(await cellNames(), ["web", "worker"]);
});

t("delete --force of a cell kuke has no record of: purges what is left, exit 0", async () => {
  const scope = ["--realm", h.realm, "--space", SPACE, "--stack", STACK];
  const plain = await h.kuke(["delete", "cell", "ghost", ...scope]);
  assert.is(plain.code, 1, plain.stderr);
  assert.match(plain.stderr, "has no record");
  const forced = await h.kuke(["delete", "cell", "ghost", ...scope, "--force"]);
  assert.is(forced.code, 0, forced.stdout + forced.stderr);
  assert.match(forced.stderr, "--force: purging what is left of it");
  assert.match(forced.stdout, `Deleted cell/${h.realm}/${SPACE}/${STACK}/ghost (purged)`);
  assert.equal(await cellNames(), ["web", "worker"], "the other cells are untouched");
});

t("delete -f FILE -o json: what the file declares goes, children first, without a question", async () => {
  const r = await h.kuke(["delete", "-f", h.manifest, "-o", "json"]);
  assert.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { status: string; plan: { options: { destroy: boolean } } };
  assert.is(doc.status, "succeeded");
  assert.is(doc.plan.options.destroy, true);
  const gone = await h.kuke(["get", "realms", "-o", "json"]);
  assert.not.match(gone.stdout, `"${h.realm}"`);
  assert.is((await h.containers()).size, 0);
});

t("purge realm NAME --cascade --force: accepted, exit 0", async () => {
  const r = await h.kuke(["purge", "realm", h.realm, "--cascade", "--force"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, `Purged realm/${h.realm}`);
});

t.run();
