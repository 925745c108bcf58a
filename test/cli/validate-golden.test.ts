import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { writeValidation } from "../../src/cli/validation-output.js";
import { loadManifests, PLAIN } from "../../src/manifest/index.js";
import { CaptureStream } from "./capture.js";

/**
 * Every fixtures/invalid/NAME.yaml against NAME.golden: the exact stderr of `kuke validate -f
 * fixtures/invalid/NAME.yaml` run from the repository root. UPDATE_GOLDEN=1 rewrites the goldens.
 */
const t = suite("cli/validate-golden");
const repo = fileURLToPath(new URL("../../..", import.meta.url));
const dir = join(repo, "fixtures/invalid");
const update = process.env.UPDATE_GOLDEN === "1";
const cases = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => f.slice(0, -".yaml".length))
  .sort();

t("there are at least 30 invalid cases", () => {
  assert.ok(cases.length >= 30, `only ${cases.length} cases`);
});

for (const name of cases) {
  t(`invalid/${name}`, () => {
    const file = `fixtures/invalid/${name}.yaml`;
    const result = loadManifests([{ file, text: readFileSync(join(repo, file), "utf8") }]);
    const stdout = new CaptureStream();
    const stderr = new CaptureStream();
    const code = writeValidation(result, { stdout, stderr, json: false, style: PLAIN });
    assert.is(code, 65, `${name} should be invalid`);
    assert.is(stdout.text, "");
    const golden = join(dir, `${name}.golden`);
    if (update) writeFileSync(golden, stderr.text);
    assert.fixture(stderr.text, readFileSync(golden, "utf8"));
  });
}

t.run();
