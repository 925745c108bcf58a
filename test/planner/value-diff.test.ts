import { suite } from "uvu";
import * as assert from "uvu/assert";
import { diffPaths } from "../../src/planner/value-diff.js";

const t = suite("planner/value-diff");

const view = () => ({
  labels: { team: "x" },
  spec: {
    image: "busybox:1",
    args: ["sleep", "60"],
    env: [],
    volumes: [{ source: "/a", target: "/b", readOnly: true }],
    resources: { memoryLimitBytes: 1 },
  },
  lifecycle: {},
});

t("equal views, copies or the same object, have no changed path", () => {
  const v = view();
  assert.equal(diffPaths(v, v), []);
  assert.equal(diffPaths(v, view()), []);
  assert.equal(diffPaths(v, JSON.parse(JSON.stringify(v))), []);
});

t("key order and keys holding undefined are no change", () => {
  const a = view();
  const b = { lifecycle: {}, spec: { ...view().spec, user: undefined }, labels: { team: "x" } };
  assert.equal(diffPaths(a, b), []);
  assert.equal(diffPaths({ ...a, extra: undefined }, b), []);
});

t("every kind of difference is still reported, however deep", () => {
  const changed = (edit: (v: ReturnType<typeof view>) => void) => {
    const v = view();
    edit(v);
    return diffPaths(view(), v);
  };
  assert.equal(
    changed((v) => {
      v.labels.team = "y";
    }),
    ["labels.team"],
  );
  assert.equal(
    changed((v) => {
      v.spec.args = ["sleep", "61"];
    }),
    ["spec.args"],
  );
  assert.equal(
    changed((v) => {
      v.spec.volumes[0]!.readOnly = false;
    }),
    ["spec.volumes[0].readOnly"],
  );
  assert.equal(
    changed((v) => {
      v.spec.volumes.push({ source: "/c", target: "/d", readOnly: false });
    }),
    ["spec.volumes"],
  );
  assert.equal(
    changed((v) => {
      (v.spec as Record<string, unknown>).user = "1000";
    }),
    ["spec.user"],
  );
  assert.equal(
    changed((v) => {
      delete (v.spec.resources as { memoryLimitBytes?: number }).memoryLimitBytes;
    }),
    ["spec.resources.memoryLimitBytes"],
  );
  assert.equal(
    changed((v) => {
      (v.spec as Record<string, unknown>).env = {};
    }),
    ["spec.env"],
  );
  assert.equal(diffPaths({ a: [1] }, { a: 1 }), ["a"]);
  assert.equal(diffPaths({ a: null }, { a: {} }), ["a"]);
  assert.equal(diffPaths({ a: [{ x: 1 }] }, { a: [{ x: 1, y: 2 }] }), ["a[0].y"]);
});

t.run();
