import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  ancestors,
  formatAddress,
  isWithin,
  parentAddress,
  parseAddress,
  tryParseAddress,
} from "../../src/model/address.js";

const t = suite("model/address");

t("parses and formats every kind", () => {
  for (const text of ["realm/r", "space/r/s", "stack/r/s/t", "cell/r/s/t/c", "container/r/s/t/c/k"]) {
    assert.is(formatAddress(parseAddress(text)), text);
  }
});

t("rejects wrong depth, unknown kind and invalid names", () => {
  assert.not.ok(tryParseAddress("space/r").ok);
  assert.not.ok(tryParseAddress("pod/r").ok);
  assert.not.ok(tryParseAddress("realm/R").ok);
  assert.not.ok(tryParseAddress("cell/r/s/t/a_b").ok);
  assert.throws(() => parseAddress("realm/../x"));
});

t("parents and containment", () => {
  const c = parseAddress("container/r/s/t/c/k");
  assert.is(formatAddress(parentAddress(c)!), "cell/r/s/t/c");
  assert.equal(ancestors(c).map(formatAddress), ["realm/r", "space/r/s", "stack/r/s/t", "cell/r/s/t/c"]);
  assert.ok(isWithin(c, parseAddress("space/r/s")));
  assert.not.ok(isWithin(c, parseAddress("space/r/x")));
  assert.is(parentAddress(parseAddress("realm/r")), undefined);
});

t.run();
