import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type DesiredState, parseAddress } from "../../src/model/index.js";
import type { Plan } from "../../src/planner/types.js";
import { world } from "../planner/builders.js";
import { type HostWorld, hostWorld } from "./host-world.js";

/**
 * Partial failures on the real host: what a failed or interrupted apply made must be repaired by
 * the next apply and removed by destroy, and destroy keeps the images the user loaded.
 */
const t = suite("engine/interrupted apply on this host");

// Not loaded, and a pull only reaches a closed port on loopback: image.ensure fails without traffic.
const MISSING = "127.0.0.1:9/kuke-test/absent:1";

let w: HostWorld;
let desired: DesiredState;

const cellKey = () => `cell/${w.realm}/net/app/pair`;
const containerKey = (c: string) => `container/${w.realm}/net/app/pair/${c}`;

function changed(p: Plan): string[] {
  return p.changes.filter((c) => c.action !== "noop").map((c) => `${c.action} ${c.address}`);
}

function failuresText(r: { result: { failures: { stepId: string; error: { format(): string } }[] } }): string {
  return r.result.failures.map((f) => `${f.stepId}: ${f.error.format()}`).join("\n");
}

async function deleteRecords(keys: string[]): Promise<void> {
  for (const k of keys) assert.ok(await w.host.records.delete(parseAddress(k)), `record ${k} was there`);
}

t.before(async () => {
  w = await hostWorld("interrupted");
  desired = world({
    realm: w.realm,
    space: "net",
    cells: [
      {
        name: "pair",
        containers: [
          { id: "first", image: "busybox", command: "sleep", args: ["3600"] },
          { id: "second", image: MISSING, command: "sleep", args: ["3600"] },
        ],
      },
    ],
  });
});

t.after(async () => {
  await w?.forceCleanup();
});

t("a workload whose image is missing: apply partly fails, then completes once the image is loaded", async () => {
  const failed = await w.apply(desired);
  assert.is(failed.result.status, "failed");
  assert.equal(
    failed.result.failures.map((f) => f.kind),
    ["image.ensure"],
    failuresText(failed),
  );
  const records = (await w.host.records.loadAll()).records.map((r) => r.address);
  assert.ok(records.includes(cellKey()), "the cell is recorded once its root runs and its network is attached");
  assert.ok(records.includes(containerKey("first")));
  assert.not.ok(records.includes(containerKey("second")));

  const { plan } = await w.plan(desired);
  assert.equal(plan.errors, []);
  assert.equal(changed(plan), [`create ${containerKey("second")}`], "only the missing part is planned");

  await w.loadImage(MISSING);
  const done = await w.apply(desired);
  assert.is(done.result.status, "succeeded", failuresText(done));
  assert.equal(done.result.failures, []);
  assert.equal(changed((await w.plan(desired)).plan), [], "converged");
});

t("containers, pin and attachment an interrupted apply did not record are replaced by the next apply", async () => {
  await deleteRecords([cellKey(), containerKey("root"), containerKey("first"), containerKey("second")]);
  const { plan } = await w.plan(desired);
  assert.equal(plan.errors, []);
  const cell = plan.changes.find((c) => c.address === cellKey())!;
  assert.is(cell.action, "replace");
  assert.is(cell.reason?.text, "drift: left behind by an interrupted apply");
  assert.ok(plan.drift.some((d) => d.kind === "left-behind" && d.address === containerKey("root")));

  const r = await w.apply(desired);
  assert.is(r.result.status, "succeeded", failuresText(r));
  const actual = await w.refresh(desired);
  for (const c of ["root", "first", "second"]) {
    assert.is(actual.resources[containerKey(c)]?.container?.task.status, "running", c);
  }
  assert.equal(changed((await w.plan(desired)).plan), [], "converged");
});

t("destroy of a cell whose records are gone removes it all and keeps the loaded images", async () => {
  await deleteRecords([cellKey(), containerKey("root"), containerKey("first"), containerKey("second")]);
  const r = await w.apply(desired, { destroy: true });
  assert.is(r.result.status, "succeeded", failuresText(r));
  assert.equal(await w.leaks(desired), []);
  const images = (await w.host.containerd.listImages(w.namespace)).map((i) => i.name).sort();
  assert.equal(images, [...w.loadedImages].sort(), "the user's images stay");
  assert.equal(
    r.result.notes.map((n) => `${n.kind} ${n.address}`),
    [`namespace.delete realm/${w.realm}`],
  );
  assert.match(r.result.notes[0]!.text, `namespace ${w.namespace} kept: it holds 2 images (kuke image rm `);
});

t("destroy straight after a partly failed apply leaves nothing", async () => {
  const missing = [...w.loadedImages].find((n) => n.includes("absent"))!;
  await w.host.containerd.removeImage(w.namespace, missing);
  w.loadedImages.delete(missing);
  const failed = await w.apply(desired);
  assert.is(failed.result.status, "failed");
  const r = await w.apply(desired, { destroy: true });
  assert.is(r.result.status, "succeeded", failuresText(r));
  assert.equal(await w.leaks(desired), []);
});

t.run();
