import { suite } from "uvu";
import * as assert from "uvu/assert";
import { isValidName, nameProblem, suggestName } from "../../src/model/names.js";

/** The name rule (DESIGN §2) is what keeps names safe as path segments, cgroup dirs and id parts. */
const t = suite("model/names");

const VALID = ["a", "0", "web", "web-1", "a1-b2-c3", "x".repeat(63), "1st"];
const INVALID: Array<[string, RegExp]> = [
  ["", /empty/],
  ["..", /contains "\."/],
  [".", /contains "\."/],
  ["a/b", /contains "\/"/],
  ["a_b", /contains "_"/],
  ["a.b", /contains "\."/],
  ["Web", /upper-case/],
  ["-web", /starts or ends with '-'/],
  ["web-", /starts or ends with '-'/],
  ["x".repeat(64), /64 characters long \(at most 63\)/],
  ["a b", /contains " "/],
  ["é", /contains "é"/],
  ["web\n", /contains "\\n"/],
];

t("lower-case DNS labels are valid names", () => {
  for (const n of VALID) {
    assert.ok(isValidName(n), n);
    assert.is(nameProblem(n), undefined, n);
  }
});

t("everything else is refused, with the reason", () => {
  for (const [n, why] of INVALID) {
    assert.not.ok(isValidName(n), JSON.stringify(n));
    assert.match(nameProblem(n) ?? "(no problem reported)", why, JSON.stringify(n));
  }
});

t("a suggestion for an invalid name is itself valid", () => {
  for (const [n] of INVALID) assert.ok(isValidName(suggestName(n)), `${JSON.stringify(n)} → ${suggestName(n)}`);
});

t.run();
