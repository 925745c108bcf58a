import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { KUKE_MAIN } from "../harness/kuke-process.js";
import { runKuke } from "./capture.js";

const t = suite("cli/help-version");
const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../../package.json", import.meta.url)), "utf8"));

t("kuke version prints the package and node versions", async () => {
  const r = await runKuke(["version"]);
  assert.is(r.code, 0);
  assert.is(r.stdout, `kuke ${pkg.version}\nnode ${process.version}\n`);
});

t("kuke --help lists the commands", async () => {
  const r = await runKuke(["--help"]);
  assert.is(r.code, 0);
  assert.match(r.stdout, "\n  validate  ");
  assert.match(r.stdout, "\n  version  ");
});

t("kuke validate --help shows details and examples", async () => {
  const r = await runKuke(["validate", "--help"]);
  assert.is(r.code, 0);
  assert.match(r.stdout, "Examples");
  assert.match(r.stdout, "kuke validate -f stack.yaml");
  assert.match(r.stdout, "--json");
  assert.match(r.stdout, "--run-path");
});

t("every command has help with examples", async () => {
  const r = await runKuke(["--help"]);
  for (const c of [
    "plan",
    "apply",
    "destroy",
    "show",
    "graph",
    "init",
    "image load",
    "image pull",
    "image ls",
    "image rm",
  ]) {
    assert.match(r.stdout, `\n  ${c}  `);
    const h = await runKuke([...c.split(" "), "--help"]);
    assert.is(h.code, 0, c);
    assert.match(h.stdout, "Examples", c);
    assert.match(h.stdout, "--runtime-dir", c);
  }
});

t("the bin (package.json's, and tsc's entry point) starts with a node shebang", () => {
  for (const file of [KUKE_MAIN, fileURLToPath(new URL("../../src/cli/main.js", import.meta.url))]) {
    assert.ok(readFileSync(file, "utf8").startsWith("#!/usr/bin/env node\n"), file);
  }
});

t.run();
