/** Image digests in the planner (DESIGN §4: a moved tag is an image change). */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { HostFacts, ImageDigest } from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import { planToSteps } from "../../src/planner/steps.js";
import { appliedFacts, emptyFacts, host, options, world } from "./builders.js";

const t = suite("planner/image-digests");

const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;
const APP = "container/main/web/app/c/app";
const ROOT = "container/main/web/app/c/main";

/** One cell: a root on a fixed image and a workload `app` on `appImage` (with `extra` fields). */
const withApp = (appImage: string, extra: { imagePullPolicy?: "Always" } = {}) =>
  world({
    cells: [
      {
        name: "c",
        rootContainerId: "main",
        containers: [
          { id: "main", image: "127.0.0.1:5000/base:1", command: "sleep" },
          { id: "app", image: appImage, command: "sleep", ...extra },
        ],
      },
    ],
  });
const desired = withApp("127.0.0.1:5000/app:latest");

const digests = (app: ImageDigest, root: ImageDigest = { digest: A, present: true }): HostFacts["imageDigests"] => ({
  [APP]: app,
  [ROOT]: root,
});

/** The host after applying `desired` with both images at A, then the tags resolving as given. */
function after(now: HostFacts["imageDigests"]) {
  const facts = appliedFacts(desired, "demo", { ...emptyFacts(), imageDigests: digests({ digest: A, present: true }) });
  return host({ ...facts, imageDigests: now });
}

t("records keep the digest the image resolved to", () => {
  const facts = appliedFacts(desired, "demo", { ...emptyFacts(), imageDigests: digests({ digest: A, present: true }) });
  assert.is(facts.records[APP]!.view.spec.imageDigest, A);
  const p = plan(desired, host(facts), options());
  assert.ok(
    p.changes.every((c) => c.action === "noop"),
    "same digest: no change",
  );
});

t("a workload's tag that moved: the container is replaced, with the moved-image reason", () => {
  const p = plan(desired, after(digests({ digest: B, present: false })), options());
  const app = p.changes.find((c) => c.address === APP)!;
  assert.is(app.action, "replace");
  assert.equal(app.changedPaths, ["spec.imageDigest"]);
  assert.is(app.fieldEffects?.[0]?.effect, "recreate");
  assert.is(app.reason?.text, "image 127.0.0.1:5000/app:latest moved: sha256:aaaaaaaaaaaa… -> sha256:bbbbbbbbbbbb…");
  assert.is(app.after?.spec.imageDigest, B);
  assert.is(p.changes.find((c) => c.address === "cell/main/web/app/c")!.action, "noop");
  const ensure = planToSteps(p, desired, after(digests({ digest: B, present: false }))).find(
    (s) => s.kind === "image.ensure",
  );
  assert.equal(ensure && "digest" in ensure ? ensure.digest : undefined, B, "apply ensures exactly that digest");
});

t("a root's tag that moved: the cell is replaced, with the moved-image reason", () => {
  const p = plan(desired, after(digests({ digest: A, present: true }, { digest: B, present: false })), options());
  const cell = p.changes.find((c) => c.address === "cell/main/web/app/c")!;
  assert.is(cell.action, "replace");
  assert.is(cell.reason?.text, "image 127.0.0.1:5000/base:1 moved: sha256:aaaaaaaaaaaa… -> sha256:bbbbbbbbbbbb…");
  assert.is(p.changes.find((c) => c.address === ROOT)!.fieldEffects?.[0]?.effect, "recreate-cell");
});

t("an image that could not be resolved keeps the recorded digest: no change", () => {
  const p = plan(desired, after(digests({ problem: "registry down", remedy: "wait" })), options());
  assert.ok(p.changes.every((c) => c.action === "noop"));
  assert.ok(p.errors.length === 0);
});

t("an image reference that changed is the image field's reason, not a moved tag", () => {
  const changed = withApp("127.0.0.1:5000/app:2");
  const p = plan(changed, after(digests({ digest: B, present: false })), options());
  assert.is(p.changes.find((c) => c.address === APP)!.reason?.text, "field spec.image forces replacement");
});

t("a container recorded before kuke kept digests is left alone, and stays without one", () => {
  const legacy = appliedFacts(desired, "demo");
  assert.is(legacy.records[APP]!.view.spec.imageDigest, undefined);
  const p = plan(desired, host({ ...legacy, imageDigests: digests({ digest: B, present: true }) }), options());
  assert.ok(p.changes.every((c) => c.action === "noop"));
});

t("a new container takes the resolved digest; the pull policy is records only", () => {
  const fresh = plan(
    desired,
    host({ ...emptyFacts(), imageDigests: digests({ digest: B, present: false }) }),
    options(),
  );
  assert.is(fresh.changes.find((c) => c.address === APP)!.after?.spec.imageDigest, B);
  const policy = withApp("127.0.0.1:5000/app:latest", { imagePullPolicy: "Always" });
  const p = plan(policy, after(digests({ digest: A, present: true })), options());
  const app = p.changes.find((c) => c.address === APP)!;
  assert.is(app.action, "update");
  assert.equal(app.changedPaths, ["spec.imagePullPolicy"]);
  assert.is(app.fieldEffects?.[0]?.effect, "none");
});

t.run();
