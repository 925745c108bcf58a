/** The plan-time image check (DESIGN §5): present or pullable, else a plan error with the remedy. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { KukeError, type RegistryCredential } from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import { checkPlanImages, hostImageProbe, type ImageProbe } from "../../src/runner/operations/image-check.js";
import { appliedFacts, emptyFacts, host, options, world } from "../planner/builders.js";

const t = suite("runner/image-check");

/** A probe that records its calls; `present` per namespace, `pullable` refs resolve, others fail. */
class FakeProbe implements ImageProbe {
  calls: string[] = [];
  constructor(
    private readonly present: Record<string, string[]>,
    private readonly pullable: string[] = [],
  ) {}
  async listImages(namespace: string): Promise<string[]> {
    this.calls.push(`list ${namespace}`);
    return this.present[namespace] ?? [];
  }
  async resolve(ref: string, credentials: readonly RegistryCredential[]): Promise<void> {
    this.calls.push(`resolve ${ref} creds=${credentials.length}`);
    if (!this.pullable.includes(ref)) {
      throw new KukeError("unavailable", `registry of ${ref} does not answer`, { detail: "connection refused" });
    }
  }
}

const sleeper = (id: string, image: string) => ({ id, image, command: "sleep", args: ["9"] });
const desiredWith = (images: [string, string][], credentials: RegistryCredential[] = []) =>
  world({
    realm: "r",
    credentials,
    cells: [{ name: "a", containers: images.map(([id, image]) => sleeper(id, image)) }],
  });

async function check(desired: ReturnType<typeof world>, probe: ImageProbe, facts = emptyFacts()) {
  const actual = host(facts);
  const p = plan(desired, actual, options({ project: "p" }));
  await checkPlanImages(p, desired, actual, probe);
  return p;
}

t("an image loaded in the realm's namespace is fine; one listing per namespace, no registry call", async () => {
  const probe = new FakeProbe({ "r.kukeon.io": ["docker.io/library/busybox:latest"] });
  const p = await check(
    desiredWith([
      ["one", "busybox"],
      ["two", "docker.io/library/busybox:latest"],
    ]),
    probe,
  );
  assert.equal(p.errors, []);
  assert.equal(probe.calls, ["list r.kukeon.io"]);
});

t(
  "an image neither loaded nor pullable: one error per realm and image, naming its containers and the remedy",
  async () => {
    const probe = new FakeProbe({});
    const p = await check(
      desiredWith([
        ["one", "127.0.0.1:1/typo/app:1"],
        ["two", "127.0.0.1:1/typo/app:1"],
      ]),
      probe,
    );
    assert.is(p.errors.length, 1, JSON.stringify(p.errors));
    const e = p.errors[0]!;
    assert.is(e.severity, "error");
    assert.is(e.address, "container/r/web/app/a/one");
    assert.match(e.summary, "image 127.0.0.1:1/typo/app:1 is not loaded in realm r and cannot be pulled");
    assert.match(e.detail ?? "", "connection refused");
    assert.match(e.detail ?? "", "also used by container/r/web/app/a/two");
    assert.is(e.remedy, "kuke image load FILE --realm r, or kuke image pull 127.0.0.1:1/typo/app:1 --realm r");
    // The pause image of the synthesized root is never looked up at a registry.
    assert.equal(
      probe.calls.filter((c) => c.startsWith("resolve")),
      ["resolve 127.0.0.1:1/typo/app:1 creds=0"],
    );
  },
);

t("a missing image that its registry serves is fine, and the realm's logins are used", async () => {
  const creds = [{ serverAddress: "registry.example", username: "u", password: "p" }] as RegistryCredential[];
  const probe = new FakeProbe({}, ["registry.example/team/app:2"]);
  const p = await check(desiredWith([["one", "registry.example/team/app:2"]], creds), probe);
  assert.equal(p.errors, []);
  assert.ok(probe.calls.includes("resolve registry.example/team/app:2 creds=1"), probe.calls.join("\n"));
});

t("nothing to create: no image is checked", async () => {
  const desired = desiredWith([["one", "127.0.0.1:1/typo/app:1"]]);
  const probe = new FakeProbe({});
  const p = await check(desired, probe, appliedFacts(desired, "p"));
  assert.equal(p.errors, []);
  assert.equal(probe.calls, []);
});

t("the real probe: a registry that does not answer fails fast with a KukeError", async () => {
  const probe = hostImageProbe({ listImages: async () => [] });
  const started = Date.now();
  try {
    await probe.resolve("127.0.0.1:1/kuke-test/missing:1", []);
    assert.unreachable("resolve must fail");
  } catch (e) {
    assert.instance(e, KukeError);
  }
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
});

t.run();
