import { suite } from "uvu";
import * as assert from "uvu/assert";
import { PAUSE_IMAGE } from "../../src/model/index.js";
import { seedBusybox, sharedRegistry } from "../harness/registry.js";
import { world } from "../planner/builders.js";
import { type HostWorld, hostWorld } from "./host-world.js";

const t = suite("engine/image.ensure on this host (local registry)");

let w: HostWorld;

t.before(async () => {
  w = await hostWorld("pull");
});

t.after(async () => {
  await w?.forceCleanup();
});

t("an image that is not loaded is pulled from its registry; the pause root is built locally", async () => {
  const reg = await sharedRegistry();
  const repo = `kt/${w.realm}/busybox`;
  await seedBusybox(reg, `${repo}:1`);
  const image = `${reg.host}/${repo}:1`;
  const desired = world({
    realm: w.realm,
    space: "net",
    cells: [{ name: "c", containers: [{ id: "app", image, command: "sleep", args: ["3600"] }] }],
  });
  const before = (await w.host.containerd.listImages(w.namespace)).map((i) => i.name);
  assert.not.ok(before.includes(image));
  assert.not.ok(before.includes(PAUSE_IMAGE));

  const r = await w.apply(desired);
  assert.is(r.result.status, "succeeded", r.result.failures.map((f) => f.error.format()).join("\n"));
  const after = (await w.host.containerd.listImages(w.namespace)).map((i) => i.name);
  assert.ok(after.includes(image), after.join(", "));
  assert.ok(after.includes(PAUSE_IMAGE), after.join(", "));
  const actual = await w.refresh(desired);
  assert.is(actual.resources[`container/${w.realm}/net/app/c/app`]?.container?.image, image);
  assert.is(actual.resources[`container/${w.realm}/net/app/c/app`]?.container?.task.status, "running");

  const d = await w.apply(desired, { destroy: true });
  assert.is(d.result.status, "succeeded", d.result.failures.map((f) => f.error.format()).join("\n"));
  // Destroy keeps what was pulled (like what was loaded) and removes only kuke's own pause image.
  const kept = (await w.host.containerd.listImages(w.namespace)).map((i) => i.name);
  assert.ok(kept.includes(image), kept.join(", "));
  assert.not.ok(kept.includes(PAUSE_IMAGE), kept.join(", "));
  assert.match(d.result.notes.map((n) => n.text).join("\n"), `namespace ${w.namespace} kept: it holds 2 images`);
  w.loadedImages.add(image);
  assert.equal(await w.leaks(desired), []);
});

t.run();
