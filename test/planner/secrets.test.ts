/**
 * Secret rotation: the planner sees a secret's value only as the digest planning read from its
 * source (`HostFacts.secretDigests`); a new digest restarts the container, a source that cannot be
 * read is a plan error, and no digest or value is ever shown in the plan.
 */

import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { HostFacts, SecretDigest } from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import { planToSteps } from "../../src/planner/steps.js";
import { appliedFacts, host, options, world } from "./builders.js";
import { app, base, cells, sidecar } from "./scenarios.js";

const APP = "container/main/web/app/api/app";
const withSecret = () =>
  world(base({ cells: cells({ api: [app({ secrets: [{ name: "token", fromFile: "/run/token" }] }), sidecar()] }) }));

function digests(d: SecretDigest): HostFacts["secretDigests"] {
  return { [APP]: { token: d } };
}

/** Applied with the secret holding `applied`, then planned with the source holding `now`. */
function planRotation(applied: SecretDigest, now: SecretDigest) {
  const desired = withSecret();
  const facts = appliedFacts(desired, "demo", {
    ...appliedFacts(world(base({ cells: [] }))),
    secretDigests: digests(applied),
  });
  facts.secretDigests = digests(now);
  const actual = host(facts);
  const p = plan(desired, actual, options());
  return { p, steps: () => planToSteps(p, desired, actual) };
}

const t = suite("planner/secrets");

t("records hold the secret's digest, never its source's value", () => {
  const facts = appliedFacts(withSecret(), "demo", {
    ...appliedFacts(world(base({ cells: [] }))),
    secretDigests: digests({ valueHash: "sha256:aaa" }),
  });
  const secrets = facts.records[APP]!.view.spec.secrets as { valueHash?: string }[];
  assert.is(secrets[0]?.valueHash, "sha256:aaa");
});

t("an unchanged secret plans nothing", () => {
  const { p } = planRotation({ valueHash: "sha256:aaa" }, { valueHash: "sha256:aaa" });
  assert.equal(
    p.changes.filter((c) => c.action !== "noop"),
    [],
  );
});

t("a rotated secret restarts the container and the plan shows no digest", () => {
  const { p, steps } = planRotation({ valueHash: "sha256:aaa" }, { valueHash: "sha256:bbb" });
  const changed = p.changes.filter((c) => c.action !== "noop");
  assert.equal(
    changed.map((c) => c.address),
    [APP],
  );
  const c = changed[0]!;
  assert.is(c.action, "update");
  assert.ok(c.restarts);
  assert.equal(c.changedPaths, ["spec.secrets[0].valueHash"]);
  assert.ok(c.sensitivePaths.includes("spec.secrets[0].valueHash"));
  const text = JSON.stringify(p);
  assert.not.ok(text.includes("sha256:aaa") || text.includes("sha256:bbb"), "digests are masked in the plan");
  const kinds = steps()
    .filter((s) => s.address === APP)
    .map((s) => s.kind)
    .sort();
  assert.equal(kinds, ["container.update", "record.write", "task.start", "task.stop"]);
  const rec = steps().find((s) => s.kind === "record.write" && s.address === APP);
  assert.is(
    rec?.kind === "record.write" && (rec.view.spec.secrets as { valueHash: string }[])[0]?.valueHash,
    "sha256:bbb",
  );
});

t(
  "a record from before keyed digests (unkeyed sha256) plans as a changed secret once: one restart, then recorded keyed",
  () => {
    const { p, steps } = planRotation({ valueHash: "sha256:aaa" }, { valueHash: "hmac-sha256:aaa" });
    const c = p.changes.find((x) => x.address === APP)!;
    assert.is(c.action, "update");
    assert.ok(c.restarts);
    assert.equal(c.changedPaths, ["spec.secrets[0].valueHash"]);
    const rec = steps().find((s) => s.kind === "record.write" && s.address === APP);
    assert.is(
      rec?.kind === "record.write" && (rec.view.spec.secrets as { valueHash: string }[])[0]?.valueHash,
      "hmac-sha256:aaa",
    );
    const again = planRotation({ valueHash: "hmac-sha256:aaa" }, { valueHash: "hmac-sha256:aaa" }).p;
    assert.equal(
      again.changes.filter((x) => x.action !== "noop"),
      [],
      "once recorded keyed, nothing changes",
    );
  },
);

t("a secret source that cannot be read is a plan error with its remedy", () => {
  const { p } = planRotation(
    { valueHash: "sha256:aaa" },
    { problem: "secret token: cannot read /run/token (ENOENT)", remedy: "make /run/token readable by kuke" },
  );
  const e = p.errors.find((x) => x.address === APP);
  assert.is(e?.severity, "error");
  assert.is(e?.summary, "secret token: cannot read /run/token (ENOENT)");
  assert.is(e?.remedy, "make /run/token readable by kuke");
});

t("without digests (sources not read) the recorded digest is kept and nothing changes", () => {
  const desired = world(
    base({
      cells: cells({
        api: [app({ secrets: [{ name: "token", fromFile: "/run/token", valueHash: "sha256:aaa" }] }), sidecar()],
      }),
    }),
  );
  const facts = appliedFacts(desired);
  const p = plan(desired, host(facts), options());
  assert.equal(
    p.changes.filter((c) => c.action !== "noop"),
    [],
  );
  assert.is(p.errors.length, 0);
});

t.run();
