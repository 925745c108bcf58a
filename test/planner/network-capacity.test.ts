/** Plan errors for network capacity, before anything changes: free /24s in the pool, addresses in a space's /24. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { loadManifests } from "../../src/manifest/index.js";
import type { SubnetPoolFacts } from "../../src/model/index.js";
import { CELLS_PER_SPACE } from "../../src/planner/plan-checks.js";
import { emptyActual, planFor } from "../../src/runner/planning.js";

const t = suite("planner/network-capacity");

const REALM = "kind: Realm\nmetadata: {name: demo}\n";
const space = (name: string) => `kind: Space\nmetadata: {name: ${name}}\nspec: {realmId: demo}\n`;
const STACK = "kind: Stack\nmetadata: {name: shop}\nspec: {realmId: demo, spaceId: a}\n";
const cell = (name: string, hostNetwork = false) =>
  `kind: Cell\nmetadata: {name: ${name}}\nspec:\n  realmId: demo\n  spaceId: a\n  stackId: shop\n  containers:\n    - {id: app, image: busybox:1${hostNetwork ? ", hostNetwork: true, root: true" : ""}}\n`;

function planOf(docs: string[], subnetPool?: SubnetPoolFacts) {
  const load = loadManifests([{ file: "m.yaml", text: docs.join("---\n") }]);
  assert.is(load.errorCount, 0, JSON.stringify(load.diagnostics));
  const actual = { ...emptyActual(), ...(subnetPool ? { subnetPool } : {}) };
  return planFor(load.state, actual, {}).errors.filter((e) => e.severity === "error");
}

t("more new spaces than free /24s: the spaces past the free count are errors with the counts", () => {
  const pool: SubnetPoolFacts = {
    pool: "10.88.0.0/23",
    size: 2,
    allocated: 0,
    hostOverlaps: ["10.88.0.0/24: address 10.88.0.1/24 on eth1"],
    free: 1,
  };
  const errors = planOf([REALM, space("a"), space("b"), space("c")], pool);
  assert.equal(
    errors.map((e) => e.address),
    ["space/demo/b", "space/demo/c"],
  );
  assert.is(
    errors[0]!.summary,
    "no free /24 in subnet pool 10.88.0.0/23 for this space: 3 new space(s) need one, 1 free of 2 (0 allocated to kuke spaces, 1 overlapping the host's addresses or routes)",
  );
  assert.match(errors[0]!.detail ?? "", "address 10.88.0.1/24 on eth1");
  assert.match(errors[0]!.remedy ?? "", "kuke destroy");
  assert.equal(planOf([REALM, space("a")], pool), []);
  // Without the fact (no refresh), nothing is claimed.
  assert.equal(planOf([REALM, space("a"), space("b"), space("c")]), []);
});

t(`a space's /24 holds ${CELLS_PER_SPACE} cells; host-network cells need no address`, () => {
  const base = [REALM, space("a"), STACK];
  const cells = (n: number) => Array.from({ length: n }, (_, i) => cell(`c${i}`));
  assert.equal(planOf([...base, ...cells(CELLS_PER_SPACE), cell("h", true)]), []);
  const errors = planOf([...base, ...cells(CELLS_PER_SPACE + 1)]);
  assert.equal(
    errors.map((e) => [e.address, e.summary]),
    [
      [
        "space/demo/a",
        `${CELLS_PER_SPACE + 1} cells would attach to this space's /24, which has addresses for ${CELLS_PER_SPACE}`,
      ],
    ],
  );
});

t.run();
