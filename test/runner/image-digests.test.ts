/**
 * Image digests at plan time and the plan-time image check (DESIGN §2, §5): how each pull policy
 * finds a digest, and which problems become plan errors or warnings.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  IMAGE_PULLED_FROM_LABEL,
  type ImageDigest,
  KukeError,
  type RegistryCredential,
} from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import {
  hostImageLookup,
  type ImageLookup,
  noteImageWarnings,
  prefetchImageListings,
  resolveImageDigests,
} from "../../src/runner/image-digests.js";
import { checkPlanImages } from "../../src/runner/operations/image-check.js";
import { appliedFacts, emptyFacts, host, options, world } from "../planner/builders.js";

const t = suite("runner/image-digests");

const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;
const NS = "r.kukeon.io";

type Local = { name: string; digest: string; labels: Record<string, string> };

/** A lookup that records its calls: `local` images per namespace, `remote` digests by reference (others fail). */
class FakeLookup implements ImageLookup {
  calls: string[] = [];
  constructor(
    private readonly local: Record<string, Local[]>,
    private readonly remote: Record<string, string> = {},
  ) {}
  async listImages(namespace: string) {
    this.calls.push(`list ${namespace}`);
    return this.local[namespace] ?? [];
  }
  async remoteDigest(ref: string, credentials: readonly RegistryCredential[]) {
    this.calls.push(`remote ${ref} creds=${credentials.length}`);
    const d = this.remote[ref];
    if (d === undefined) {
      throw new KukeError("unavailable", `cannot reach the registry for ${ref}`, { detail: "connection refused" });
    }
    return d;
  }
}

const loaded = (name: string, digest: string): Local => ({ name, digest, labels: {} });
const pulled = (name: string, digest: string): Local => ({
  name,
  digest,
  labels: { [IMAGE_PULLED_FROM_LABEL]: name.split("/")[0]! },
});

const sleeper = (id: string, image: string, imagePullPolicy?: "IfNotPresent" | "Always" | "Never") => ({
  id,
  image,
  command: "sleep",
  ...(imagePullPolicy ? { imagePullPolicy } : {}),
});
const desiredWith = (containers: ReturnType<typeof sleeper>[], credentials: RegistryCredential[] = []) =>
  world({ realm: "r", credentials, cells: [{ name: "a", containers }] });
const one = "container/r/web/app/a/one";
const two = "container/r/web/app/a/two";

async function resolve(desired: ReturnType<typeof world>, lookup: ImageLookup, pull?: "Always" | "Never") {
  return resolveImageDigests(desired, host(emptyFacts()), lookup, pull);
}

/** Resolve, plan and check as `kuke plan` does. */
async function planWith(desired: ReturnType<typeof world>, lookup: ImageLookup, facts = emptyFacts()) {
  const imageDigests = await resolveImageDigests(desired, host(facts), lookup);
  const actual = host({ ...facts, imageDigests });
  const p = plan(desired, actual, options({ project: "p" }));
  checkPlanImages(p, desired, actual);
  noteImageWarnings(p, actual);
  return p;
}

t("IfNotPresent, image loaded from a file: its local digest, no registry asked, one listing", async () => {
  const lookup = new FakeLookup({ [NS]: [loaded("docker.io/library/busybox:latest", A)] });
  const d = await resolve(
    desiredWith([sleeper("one", "busybox"), sleeper("two", "docker.io/library/busybox:latest")]),
    lookup,
  );
  assert.equal(d[one], { digest: A, present: true });
  assert.equal(d[two], { digest: A, present: true });
  assert.equal(lookup.calls, [`list ${NS}`], "the pause image of the synthesized root is never looked up");
});

t("IfNotPresent, image kuke pulled: the registry says what the tag names now (a moved tag shows)", async () => {
  const creds = [{ serverAddress: "127.0.0.1:5000", username: "u", password: "p" }];
  const lookup = new FakeLookup({ [NS]: [pulled("127.0.0.1:5000/app:latest", A)] }, { "127.0.0.1:5000/app:latest": B });
  const d = await resolve(desiredWith([sleeper("one", "127.0.0.1:5000/app:latest")], creds), lookup);
  assert.equal(d[one], { digest: B, present: false });
  assert.ok(lookup.calls.includes("remote 127.0.0.1:5000/app:latest creds=1"), "with the realm's logins");
});

t("IfNotPresent, image present, registry unreachable: the local digest and one warning, no error", async () => {
  const lookup = new FakeLookup({ [NS]: [pulled("127.0.0.1:5000/app:latest", A)] });
  const p = await planWith(
    desiredWith([sleeper("one", "127.0.0.1:5000/app:latest"), sleeper("two", "127.0.0.1:5000/app:latest")]),
    lookup,
  );
  assert.equal(
    p.errors.map((e) => e.severity),
    ["warning"],
  );
  assert.match(p.errors[0]!.summary, "the registry of 127.0.0.1:5000/app:latest cannot be asked");
  assert.match(p.errors[0]!.summary, A);
  const created = p.changes.find((c) => c.address === one)!;
  assert.is(created.after?.spec.imageDigest, A);
});

t("Never: the local digest without asking; missing is a plan error naming the image and kuke image load", async () => {
  const present = new FakeLookup({ [NS]: [pulled("127.0.0.1:5000/app:latest", A)] }, {});
  const d = await resolve(desiredWith([sleeper("one", "127.0.0.1:5000/app:latest", "Never")]), present);
  assert.equal(d[one], { digest: A, present: true });
  assert.equal(present.calls, [`list ${NS}`]);

  const missing = new FakeLookup({}, { "127.0.0.1:5000/app:latest": B });
  const p = await planWith(desiredWith([sleeper("one", "127.0.0.1:5000/app:latest", "Never")]), missing);
  const errors = p.errors.filter((e) => e.severity === "error");
  assert.is(errors.length, 1, JSON.stringify(p.errors));
  assert.is(errors[0]!.address, one);
  assert.match(errors[0]!.summary, "image 127.0.0.1:5000/app:latest is not present in realm r");
  assert.match(errors[0]!.remedy ?? "", "kuke image load FILE --realm r");
  assert.ok(!missing.calls.some((c) => c.startsWith("remote")), "Never never asks a registry");
});

t("Always: the registry is asked even for a loaded image, and must answer", async () => {
  const lookup = new FakeLookup({ [NS]: [loaded("docker.io/library/busybox:latest", A)] });
  const d = await resolve(desiredWith([sleeper("one", "busybox", "Always")]), lookup);
  assert.ok("problem" in d[one]!, JSON.stringify(d[one]));
  assert.match((d[one] as { remedy: string }).remedy, "--pull missing");
});

t("--pull overrides every container's policy", async () => {
  const lookup = new FakeLookup({ [NS]: [loaded("docker.io/library/busybox:latest", A)] }, {});
  const always = await resolve(desiredWith([sleeper("one", "busybox", "Never")]), lookup, "Always");
  assert.ok("problem" in always[one]!);
  const never = await resolve(desiredWith([sleeper("one", "127.0.0.1:5000/app:1", "Always")]), lookup, "Never");
  assert.match((never[one] as { problem: string }).problem, "pull policy is Never");
});

t("a pinned reference names its digest; the registry is asked only when it is not present", async () => {
  const pinned = `127.0.0.1:5000/app:1@${B}`;
  const here = new FakeLookup({ [NS]: [loaded("127.0.0.1:5000/app:1", B)] });
  assert.equal((await resolve(desiredWith([sleeper("one", pinned, "Always")]), here))[one], {
    digest: B,
    present: true,
  });
  assert.equal(here.calls, [`list ${NS}`]);
  const away = new FakeLookup({}, { [pinned]: B });
  assert.equal((await resolve(desiredWith([sleeper("one", `127.0.0.1:5000/app@${B}`)]), away))[one], {
    problem: `image 127.0.0.1:5000/app@${B} is not loaded in realm r and cannot be pulled`,
    detail: `its registry says: cannot reach the registry for 127.0.0.1:5000/app@${B}: connection refused`,
    remedy: `kuke image load FILE --realm r, or kuke image pull 127.0.0.1:5000/app@${B} --realm r`,
  } satisfies ImageDigest);
  assert.equal((await resolve(desiredWith([sleeper("one", pinned)]), away))[one], { digest: B, present: false });
});

t("an image neither loaded nor pullable: one error per realm and image, naming its containers", async () => {
  const p = await planWith(
    desiredWith([sleeper("one", "127.0.0.1:1/typo/app:1"), sleeper("two", "127.0.0.1:1/typo/app:1")]),
    new FakeLookup({}),
  );
  assert.is(p.errors.length, 1, JSON.stringify(p.errors));
  const e = p.errors[0]!;
  assert.is(e.severity, "error");
  assert.is(e.address, one);
  assert.match(e.summary, "image 127.0.0.1:1/typo/app:1 is not loaded in realm r and cannot be pulled");
  assert.match(e.detail ?? "", "connection refused");
  assert.match(e.detail ?? "", `also used by ${two}`);
  assert.is(e.remedy, "kuke image load FILE --realm r, or kuke image pull 127.0.0.1:1/typo/app:1 --realm r");
});

t("nothing to create: an image that cannot be resolved is no error, and the recorded digest stays", async () => {
  const desired = desiredWith([sleeper("one", "127.0.0.1:1/typo/app:1")]);
  const facts = appliedFacts(desired, "p", { ...emptyFacts(), imageDigests: { [one]: { digest: A, present: true } } });
  delete facts.imageDigests;
  const p = await planWith(desired, new FakeLookup({}), facts);
  assert.equal(p.errors, []);
  assert.ok(p.changes.every((c) => c.action === "noop"));
});

t("the real lookup: a registry that does not answer fails with a KukeError", async () => {
  const lookup = hostImageLookup({ listImages: async () => [] });
  try {
    await lookup.remoteDigest("127.0.0.1:1/kuke-test/missing:1", []);
    assert.unreachable("resolve must fail");
  } catch (e) {
    assert.instance(e, KukeError);
    assert.is((e as KukeError).code, "unavailable");
  }
});

t(
  "prefetched listings: asked at once, once per namespace, served to resolution; a failed one reaches whoever asks for it",
  async () => {
    const lookup = new FakeLookup({ [NS]: [loaded("docker.io/library/app:1", A)] });
    const failing: ImageLookup = {
      listImages: async (ns) => {
        if (ns === "gone.ns") throw new KukeError("unavailable", "containerd went away");
        return lookup.listImages(ns);
      },
      remoteDigest: (ref, creds) => lookup.remoteDigest(ref, creds),
    };
    const prefetched = prefetchImageListings(failing, [NS, NS, "gone.ns"]);
    assert.equal(lookup.calls, [`list ${NS}`], "asked before any resolution, once");
    const got = await resolve(desiredWith([sleeper("one", "app:1")]), prefetched);
    assert.equal(got[one], { digest: A, present: true });
    assert.equal(lookup.calls, [`list ${NS}`], "resolution used the prefetched listing");
    const failed = await prefetched.listImages("gone.ns").then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.is((failed as KukeError | undefined)?.message, "containerd went away", "the failure reaches whoever asks");
  },
);

t.run();
