import { suite } from "uvu";
import * as assert from "uvu/assert";
import { canonicalJson, sameValue, specHash } from "../../src/model/canonical.js";
import { normalizeCell, normalizeContainer, normalizeSpaceSpec, PAUSE_IMAGE } from "../../src/model/normalize.js";
import type { CellInput, ContainerDefaults } from "../../src/model/types.js";

const t = suite("model/normalize");

const defaults: ContainerDefaults = {
  user: "1000:1000",
  readOnlyRootFilesystem: true,
  capabilities: { add: ["net_bind_service"], drop: ["ALL"] },
  resources: { memoryLimitBytes: 64 << 20 },
};

t("space defaults fill unset fields; the container wins one level deep", () => {
  const c = normalizeContainer(
    { id: "app", image: "busybox", capabilities: { add: [], drop: ["NET_RAW"] }, readOnlyRootFilesystem: false },
    defaults,
  );
  assert.is(c.user, "1000:1000");
  assert.is(c.readOnlyRootFilesystem, false);
  assert.equal(c.capabilities, { add: [], drop: ["CAP_NET_RAW"] });
  assert.equal(c.resources, { memoryLimitBytes: 64 << 20 });
});

t("logMaxBytes: from the space's defaults, the container's wins, absent when neither sets it", () => {
  assert.is(normalizeContainer({ id: "a", image: "busybox" }, { logMaxBytes: 4096 }).logMaxBytes, 4096);
  assert.is(
    normalizeContainer({ id: "a", image: "busybox", logMaxBytes: 1024 }, { logMaxBytes: 4096 }).logMaxBytes,
    1024,
  );
  const plain = normalizeContainer({ id: "a", image: "busybox" }, defaults);
  assert.not.ok("logMaxBytes" in plain, "unset: not in the spec, so existing spec hashes do not move");
  assert.equal(normalizeSpaceSpec({ defaults: { container: { logMaxBytes: 4096 } } }).defaults.container, {
    logMaxBytes: 4096,
  });
});

t("a cell without a root gets a synthesized pause root first", () => {
  const cell = normalizeCell({ containers: [{ id: "a", image: "busybox" }] }, undefined);
  assert.is(cell.rootContainerId, "root");
  assert.is(cell.containers[0]?.image, PAUSE_IMAGE);
  assert.ok(cell.containers[0]?.synthesized);
  assert.is(cell.containers[1]?.root, false);
});

t("rootContainerId wins over root: true; the root moves first", () => {
  const cell = normalizeCell(
    {
      rootContainerId: "b",
      containers: [
        { id: "a", image: "x", root: true },
        { id: "b", image: "y" },
      ],
    },
    undefined,
  );
  assert.equal(
    cell.containers.map((c) => [c.id, c.root]),
    [
      ["b", true],
      ["a", false],
    ],
  );
});

t("a synthesized root follows host networking of the cell", () => {
  const cell = normalizeCell({ containers: [{ id: "a", image: "x", hostNetwork: true }] }, undefined);
  assert.is(cell.containers[0]?.hostNetwork, true);
});

t("normalization is idempotent, also with different defaults the second time", () => {
  const inputs: CellInput[] = [
    { containers: [{ id: "a", image: "x", env: ["A=1"] }] },
    {
      rootContainerId: "a",
      containers: [
        { id: "a", image: "x" },
        { id: "b", image: "y", user: "" },
      ],
    },
    { containers: [{ id: "a", image: "x", root: true, hostNetwork: true }] },
  ];
  for (const input of inputs) {
    const once = normalizeCell(input, defaults);
    const twice = normalizeCell(JSON.parse(JSON.stringify(once)), defaults);
    assert.equal(twice, once);
    assert.equal(normalizeCell(once, {}), once);
  }
  const space = normalizeSpaceSpec({
    network: { egress: { default: "deny", allow: [{ cidr: "10.0.0.1", ports: [443, 80, 443] }] } },
    defaults: { container: defaults },
  });
  assert.equal(normalizeSpaceSpec(space), space);
  assert.equal(space.network.egress?.allow[0], { cidr: "10.0.0.1/32", ports: [80, 443] });
});

t("canonical JSON ignores key order and undefined", () => {
  assert.is(canonicalJson({ b: 1, a: { d: undefined, c: 2 } }), '{"a":{"c":2},"b":1}');
  assert.ok(sameValue({ x: 1, y: [1, 2] }, { y: [1, 2], x: 1 }));
  assert.is.not(specHash({ a: 1 }), specHash({ a: 2 }));
  assert.match(specHash({}), /^sha256:[0-9a-f]{64}$/);
});

t.run();
