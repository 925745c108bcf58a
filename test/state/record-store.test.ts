import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { tempPathFor } from "../../src/fs/atomic-file.js";
import { cellAddress, formatAddress, parseAddress } from "../../src/model/address.js";
import { isKukeError } from "../../src/model/errors.js";
import { RecordStore, type StoredRecord } from "../../src/state/record-store.js";
import { deadPid } from "./helpers/child.js";
import { rejection } from "./helpers/rejects.js";
import { tempRunPath } from "./helpers/temp-run-path.js";

const t = suite("state/record-store");

const record = (address: string, project = "demo", extra: StoredRecord["extra"] = {}): StoredRecord => ({
  address,
  kind: parseAddress(address).kind,
  project,
  view: { labels: { team: "a" }, spec: { image: "busybox", env: ["A=1"] }, computed: { ip: "10.88.0.2" } },
  specHash: "sha256:abc",
  appliedAt: "2026-11-29T20:00:00.000Z",
  extra,
});

t("put, get, delete round-trip under records/<kind>/<names>.json", async () => {
  const { layout, cleanup } = tempRunPath("records");
  try {
    const store = new RecordStore(layout);
    const addr = cellAddress("r", "s", "t", "c");
    assert.is(await store.get(addr), undefined);
    const rec = record("cell/r/s/t/c", "demo", { ip: "10.88.0.2", gateway: "10.88.0.1", mac: "aa:bb:cc:dd:ee:ff" });
    await store.put(rec);
    assert.is(store.pathOf(addr), join(layout.records, "cell", "r", "s", "t", "c.json"));
    assert.equal(await store.get(addr), rec);
    assert.is(statSync(store.pathOf(addr)).mode & 0o777, 0o600);
    assert.is(statSync(join(layout.records, "cell", "r")).mode & 0o777, 0o700);

    await store.put({ ...rec, specHash: "sha256:def" });
    assert.is((await store.get(addr))?.specHash, "sha256:def");

    assert.ok(await store.delete(addr));
    assert.not.ok(await store.delete(addr));
    assert.is(await store.get(addr), undefined);
    assert.equal(readdirSync(join(layout.records, "cell")), [], "emptied folders are removed");
  } finally {
    cleanup();
  }
});

t("put rejects a record whose kind does not match its address; pathOf rejects unsafe names", async () => {
  const { layout, cleanup } = tempRunPath("reject");
  try {
    const store = new RecordStore(layout);
    assert.instance(await rejection(() => store.put({ ...record("cell/r/s/t/c"), kind: "space" })), TypeError);
    assert.instance(
      await rejection(() => store.put({ ...record("cell/r/s/t/c"), address: "cell/r/../t/c" })),
      TypeError,
    );
    assert.throws(() => store.pathOf({ kind: "realm", realm: ".." }));
  } finally {
    cleanup();
  }
});

t("loadAll reads ~800 records in parallel, fast, and lists by project", async () => {
  const { layout, cleanup } = tempRunPath("load");
  try {
    const store = new RecordStore(layout);
    const addresses: string[] = ["realm/r", "space/r/s", "stack/r/s/t"];
    for (let c = 0; c < 200; c++) {
      addresses.push(`cell/r/s/t/c${c}`);
      for (const k of ["root", "app", "side"]) addresses.push(`container/r/s/t/c${c}/${k}`);
    }
    await Promise.all(addresses.map((a, i) => store.put(record(a, i % 2 === 0 ? "even" : "odd"))));
    const t0 = performance.now();
    const all = await store.loadAll();
    const ms = performance.now() - t0;
    assert.is(all.records.length, 803);
    assert.equal(all.corrupt, []);
    assert.equal(
      all.records.map((r) => r.address),
      [...addresses].sort(),
    );
    // Generous bound for a noisy 2-core machine; a serial or quadratic load would still pass 800
    // files in less, so the figure is printed too.
    assert.ok(ms < 1500, `loadAll took ${ms.toFixed(0)} ms`);
    process.stdout.write(`    (loadAll of 803 records: ${ms.toFixed(1)} ms)\n`);
    const even = await store.listByProject("even");
    assert.is(even.records.length, 402);
    assert.ok(even.records.every((r) => r.project === "even"));
  } finally {
    cleanup();
  }
});

t("corrupt files are reported by name beside the good records; get throws the same typed error", async () => {
  const { layout, cleanup } = tempRunPath("corrupt");
  try {
    const store = new RecordStore(layout);
    await store.put(record("cell/r/s/t/good"));
    await store.put(record("cell/r/s/t/moved"));
    const truncated = store.pathOf(cellAddress("r", "s", "t", "trunc"));
    writeFileSync(truncated, '{"address": "cell/r/s/t/tr');
    // A record copied to another address's file.
    const misplaced = store.pathOf(cellAddress("r", "s", "t", "other"));
    writeFileSync(misplaced, JSON.stringify(record("cell/r/s/t/moved")));
    const missingField = store.pathOf(cellAddress("r", "s", "t", "nofield"));
    const { specHash: _, ...withoutHash } = record("cell/r/s/t/nofield");
    writeFileSync(missingField, JSON.stringify(withoutHash));
    // An old-format record (spec at the top, no view) cannot be diffed by the planner.
    const oldShape = store.pathOf(cellAddress("r", "s", "t", "oldshape"));
    const { view: _v, ...withoutView } = record("cell/r/s/t/oldshape");
    writeFileSync(oldShape, JSON.stringify({ ...withoutView, spec: { image: "busybox" } }));
    mkdirSync(join(layout.records, "pod"));
    const stray = join(layout.records, "pod", "x.json");
    writeFileSync(stray, "{}");

    const all = await store.loadAll();
    assert.equal(
      all.records.map((r) => r.address),
      ["cell/r/s/t/good", "cell/r/s/t/moved"],
    );
    assert.equal(
      all.corrupt.map((c) => c.file),
      [missingField, oldShape, misplaced, truncated, stray].sort(),
    );
    for (const c of all.corrupt) {
      assert.ok(isKukeError(c.error, "failed-precondition"));
      assert.match(c.error.message, c.file);
      assert.ok(c.error.remedy?.includes(c.file));
    }
    assert.match(all.corrupt.find((c) => c.file === truncated)!.error.message, "not valid JSON");
    assert.match(all.corrupt.find((c) => c.file === misplaced)!.error.message, "does not match its location");
    assert.match(all.corrupt.find((c) => c.file === missingField)!.error.message, "'specHash'");
    assert.match(all.corrupt.find((c) => c.file === oldShape)!.error.message, "'view'");

    try {
      await store.get(cellAddress("r", "s", "t", "trunc"));
      assert.unreachable("should have thrown");
    } catch (e) {
      assert.ok(isKukeError(e, "failed-precondition"));
      assert.match((e as Error).message, truncated);
    }
  } finally {
    cleanup();
  }
});

t("loadAll ignores a crashed writer's temp file and removes it; the committed record stays", async () => {
  const { layout, cleanup } = tempRunPath("temp");
  try {
    const store = new RecordStore(layout);
    const rec = record("container/r/s/t/c/app");
    await store.put(rec);
    const path = store.pathOf(parseAddress(rec.address));
    const tmp = tempPathFor(path, await deadPid());
    writeFileSync(tmp, '{"address": "container/r/s/t/c/app", "spec": {"ima');
    const all = await store.loadAll();
    assert.equal(all.records, [rec]);
    assert.equal(all.corrupt, []);
    assert.not.ok(existsSync(tmp));
    assert.equal(await store.get(parseAddress(formatAddress(parseAddress(rec.address)))), rec);
  } finally {
    cleanup();
  }
});

t("filesUnder and deleteUnder: the records of an address and everything inside it, corrupt ones too", async () => {
  const { layout, cleanup } = tempRunPath("records-under");
  try {
    const store = new RecordStore(layout);
    for (const a of ["realm/r", "space/r/s", "stack/r/s/t", "cell/r/s/t/c", "realm/r2", "space/r2/s", "space/rr/s"]) {
      await store.put(record(a));
    }
    const corrupt = store.pathOf(parseAddress("container/r/s/t/c/k"));
    mkdirSync(join(corrupt, ".."), { recursive: true });
    writeFileSync(corrupt, "{ torn");
    const space = parseAddress("space/r/s");
    assert.equal(
      (await store.filesUnder(space)).map((f) => f.slice(layout.records.length + 1)),
      ["cell/r/s/t/c.json", "container/r/s/t/c/k.json", "space/r/s.json", "stack/r/s/t.json"],
    );
    await store.deleteUnder(parseAddress("realm/r"));
    assert.equal(await store.filesUnder(parseAddress("realm/r")), []);
    assert.equal(
      (await store.loadAll()).records.map((r) => r.address),
      ["realm/r2", "space/r2/s", "space/rr/s"],
      "other realms' records stay, even one whose name starts the same",
    );
    await store.deleteUnder(parseAddress("realm/r"));
  } finally {
    cleanup();
  }
});

t("an empty run path loads as nothing", async () => {
  const { layout, cleanup } = tempRunPath("empty");
  try {
    assert.equal(await new RecordStore(layout).loadAll(), { records: [], corrupt: [] });
  } finally {
    cleanup();
  }
});

t.run();
