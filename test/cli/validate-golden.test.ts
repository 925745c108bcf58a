import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { writeValidation } from "../../src/cli/validation-output.js";
import { loadManifests, PLAIN } from "../../src/manifest/index.js";
import { assertGolden } from "../harness/golden.js";
import { CaptureStream } from "./capture.js";

/**
 * Every fixtures/invalid/NAME.yaml against NAME.golden: the exact stderr of `kuke validate -f
 * fixtures/invalid/NAME.yaml` run from the repository root. UPDATE_GOLDEN=1 rewrites the goldens.
 */
const t = suite("cli/validate-golden");
const repo = fileURLToPath(new URL("../../..", import.meta.url));
const dir = join(repo, "fixtures/invalid");
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
    assertGolden(stderr.text, join(dir, `${name}.golden`));
  });
}

t.run();
