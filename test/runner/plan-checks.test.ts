/** The runner's pure parts: default project, saved-plan redaction and staleness, impact guard, durations. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  type ActualState,
  type DesiredState,
  isKukeError,
  normalizeRealmSpec,
  specHash,
} from "../../src/model/index.js";
import { checkMaxImpact, parseImpact } from "../../src/runner/impact.js";
import { parseDuration } from "../../src/runner/lock-timeout.js";
import { emptyActual, planFor } from "../../src/runner/planning.js";
import { defaultProject } from "../../src/runner/project.js";
import { desiredForApply, redactDesired, type SavedPlan } from "../../src/runner/saved-plan.js";
import { assertPlanFresh, movedAddresses } from "../../src/runner/stale-plan.js";

const t = suite("runner/plan-checks");

function desired(realms: string[], password?: string): DesiredState {
  return {
    realms: realms.map((name) => ({
      kind: "realm" as const,
      name,
      labels: {},
      spec: normalizeRealmSpec(name, password ? { registryCredentials: [{ username: "u", password }] } : undefined),
    })),
    spaces: [],
    stacks: [],
    cells: [],
    looseContainers: [],
  };
}

function throws(fn: () => unknown, code: string): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isKukeError(e), String(e));
    assert.is(e.code, code);
    return e.format();
  }
  throw new Error("expected a KukeError");
}

t("default project: sorted realm names joined with +, default when none", () => {
  assert.is(defaultProject(desired(["shop", "blog"])), "blog+shop");
  assert.is(defaultProject(desired(["demo"])), "demo");
  assert.is(defaultProject(desired([])), "default");
  const onlyCells = desired([]);
  onlyCells.spaces.push({ kind: "space", realm: "zed", name: "s", labels: {}, spec: { network: {}, defaults: {} } });
  assert.is(defaultProject(onlyCells), "zed");
});

/** A stand-in for the run path's keyed digests (the real ones: test/runner/secret-hashes.test.ts). */
const keyed = async (d: DesiredState) =>
  Object.fromEntries(
    d.realms.map((r) => [r.name, r.spec.registryCredentials.map((c) => `hmac-sha256:key-${c.password}`)]),
  );

t(
  "redaction replaces registry passwords by their keyed digest, or '(not read)' without one, and nothing else",
  async () => {
    const d = desired(["r"], "hunter2");
    const red = redactDesired(d, await keyed(d));
    assert.is(red.realms[0]?.spec.registryCredentials[0]?.password, "hmac-sha256:key-hunter2");
    assert.is(d.realms[0]?.spec.registryCredentials[0]?.password, "hunter2", "input untouched");
    const offline = redactDesired(d, undefined);
    assert.is(offline.realms[0]?.spec.registryCredentials[0]?.password, "(not read)");
    assert.not.match(JSON.stringify(offline), "hunter2");
    assert.not.match(JSON.stringify(offline), specHash("hunter2").slice(7), "never an unkeyed hash");
  },
);

function saved(d: DesiredState, digests?: Record<string, string[]>): SavedPlan {
  return {
    saved_plan_version: "1",
    plan: planFor(d, emptyActual(), { refresh: false }),
    desired: redactDesired(d, digests),
    sources: [{ file: "/x/realm.yaml", sha256: "0" }],
  };
}

t("a saved plan without passwords applies its own desired state; with them, the files must match", async () => {
  const plain = saved(desired(["r"]));
  assert.equal(
    await desiredForApply(
      plain,
      async () => {
        throw new Error("must not read files");
      },
      keyed,
    ),
    plain.desired,
  );
  const withPw = saved(desired(["r"], "hunter2"), await keyed(desired(["r"], "hunter2")));
  const fresh = await desiredForApply(withPw, async () => desired(["r"], "hunter2"), keyed);
  assert.is(fresh.realms[0]?.spec.registryCredentials[0]?.password, "hunter2");
  try {
    await desiredForApply(withPw, async () => desired(["r"], "changed"), keyed);
    assert.unreachable();
  } catch (e) {
    assert.ok(isKukeError(e, "stale-plan"));
    assert.is(e.exitCode, 4);
  }
  try {
    await desiredForApply(
      withPw,
      async () => {
        throw new Error("ENOENT");
      },
      keyed,
    );
    assert.unreachable();
  } catch (e) {
    assert.ok(isKukeError(e, "stale-plan"));
  }
});

t("a plan is stale exactly when a resource it touches looks different now", () => {
  const d = desired(["r"]);
  const plan = planFor(d, emptyActual(), { refresh: false });
  assert.equal(movedAddresses(plan, emptyActual()), []);
  assertPlanFresh(plan, emptyActual(), "p.plan");
  const moved: ActualState = emptyActual();
  moved.resources["realm/r"] = { address: "realm/r", kind: "realm", cgroupPresent: true };
  // Another address appearing does not make this plan stale.
  moved.resources["realm/other"] = { address: "realm/other", kind: "realm", cgroupPresent: true };
  assert.equal(movedAddresses(plan, moved), ["realm/r"]);
  const text = throws(() => assertPlanFresh(plan, moved, "p.plan"), "stale-plan");
  assert.match(text, "realm/r");
  assert.match(text, "--out p.plan");
});

t("--max-impact refuses a plan whose strongest change is beyond it", () => {
  const plan = planFor(desired(["r"]), emptyActual(), { refresh: false });
  checkMaxImpact(plan, "live"); // creates disturb nothing
  const del = structuredClone(plan);
  del.changes[0]!.action = "delete";
  checkMaxImpact(del, "delete");
  const text = throws(() => checkMaxImpact(del, "recreate"), "guard");
  assert.match(text, "realm/r: delete (delete)");
  const upd = structuredClone(plan);
  upd.changes[0]!.action = "update";
  upd.changes[0]!.restarts = true;
  checkMaxImpact(upd, "restart");
  throws(() => checkMaxImpact(upd, "live"), "guard");
  throws(() => parseImpact("everything"), "usage");
});

t("durations: ms, s, m and bare seconds", () => {
  assert.is(parseDuration("--lock-timeout", "30s"), 30_000);
  assert.is(parseDuration("--lock-timeout", "250ms"), 250);
  assert.is(parseDuration("--lock-timeout", "2m"), 120_000);
  assert.is(parseDuration("--lock-timeout", "5"), 5000);
  assert.is(parseDuration("--lock-timeout", "0"), 0);
  throws(() => parseDuration("--lock-timeout", "soon"), "usage");
});

t.run();
