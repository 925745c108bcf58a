/**
 * Commands that change the host, run in-process against the fake host of the engine tests (the
 * CLI context carries it): the whole path from argv through the runner's pipeline and the engine
 * to executor calls, with no containerd, CNI or cgroups involved.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseAddress, realmAddress } from "../../src/model/index.js";
import { type FakeHost, fakeHost } from "../engine/fake-host.js";
import { runKuke } from "./capture.js";

const t = suite("cli/commands on a fake host");

// Nothing answers at this address: a command that opened a real host instead of the context's fails.
const env = { KUKE_CONTAINERD_ADDRESS: "unix:///nonexistent/kuke-fake-host.sock", KUKE_RUN_PATH: "/nonexistent/run" };
let host: FakeHost;

t.before.each(() => {
  host = fakeHost("cli");
});
t.after.each(() => host.cleanup());

const kuke = (...argv: string[]) => runKuke(argv, { env, host });
/** The calls that change the fake host (refresh's listings left out). */
const changes = () => host.calls.filter((c) => !c.startsWith("list") && !c.startsWith("resolveImage"));

t("create realm, get it, delete it: each change is a plan of steps run on the context's host", async () => {
  const created = await kuke("create", "realm", "shop");
  assert.is(created.code, 0, created.stderr);
  assert.equal(changes(), ["ensureNamespace shop.kukeon.io", "cgroup.ensure /kukeon/shop"]);
  assert.match(created.stdout, "shop: Creating namespace… [namespace.ensure]");
  assert.ok(await host.records.get(realmAddress("shop")), "the record step wrote the realm's record");

  const got = await kuke("get", "realms", "-o", "json");
  assert.is(got.code, 0, got.stderr);
  assert.match(got.stdout, '"name": "shop"');

  host.calls.length = 0;
  const deleted = await kuke("delete", "realm", "shop");
  assert.is(deleted.code, 0, deleted.stderr);
  assert.equal(changes().sort(), [
    "cgroup.remove /kukeon/shop",
    "deleteNamespace shop.kukeon.io",
    "removeOrphans shop.kukeon.io",
  ]);
  assert.is(await host.records.get(realmAddress("shop")), undefined);
  assert.equal([...host.namespaces], []);
});

t("a step that fails on the fake host gives the partial-failure report and exit 3", async () => {
  await kuke("create", "realm", "shop");
  await kuke("create", "space", "web", "--realm", "shop");
  await kuke("create", "stack", "front", "--realm", "shop", "--space", "web");
  host.failCreate.add("web_front_api_root");
  const r = await kuke("create", "cell", "api", "--realm", "shop", "--space", "web", "--stack", "front");
  assert.is(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stderr, "Apply partly failed.");
  assert.match(r.stderr, "cannot create web_front_api_root");
  assert.not.ok(
    host.calls.some((c) => c.startsWith("startTask")),
    "the root's task depends on its container: skipped",
  );
});

t("purge deletes through the records, then runs discovery's removal steps through the engine", async () => {
  await kuke("create", "realm", "shop");
  await kuke("create", "space", "web", "--realm", "shop");
  // A record kuke can no longer read: delete cannot use it, purge still forgets it.
  const corrupt = host.records.pathOf(parseAddress("stack/shop/web/front"));
  await mkdir(dirname(corrupt), { recursive: true });
  await writeFile(corrupt, "{ not json");
  host.calls.length = 0;
  const r = await kuke("purge", "realm", "shop");
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    "Purged realm/shop: 2 resource(s) deleted through records, 0 object(s) removed, 0 failed, 1 record(s) forgotten.",
  );
  assert.not.match(r.stdout, "removed namespace", "the records' deletion removed it; discovery found none left");
  assert.ok(changes().includes("removeSpaceNetwork shop web"), "the records' removal plan ran first");
  assert.not.ok(existsSync(corrupt));
  const journals = await readdir(join(host.runPath, "journal"));
  assert.is(journals.length, 4, "create ×2, then the records' deletion and discovery's steps: each an engine run");
});

t("purge of a realm that does not exist: nothing to purge, nothing counted as removed", async () => {
  const r = await kuke("purge", "realm", "ghost");
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(r.stdout, "Nothing to purge: kuke found nothing of realm/ghost on this host.\n");
  assert.not.ok(
    changes().some((c) => c.startsWith("deleteNamespace")),
    changes().join(" "),
  );
});

t("apply --json: the CI stream, one JSON object per line, steps first and the result last", async () => {
  const file = join(host.runPath, "realm.yaml");
  await mkdir(host.runPath, { recursive: true });
  await writeFile(file, "apiVersion: v1beta1\nkind: Realm\nmetadata:\n  name: shop\n");
  for (const argv of [["--json"], ["--progress", "json"]]) {
    const r = await kuke("apply", "--auto-approve", ...argv, "-f", file);
    assert.is(r.code, 0, r.stderr);
    const lines = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    for (const l of lines) assert.is(l.format_version, "1", JSON.stringify(l));
    const result = lines.at(-1);
    if (argv[0] === "--progress") {
      // Applied already by the --json run: the stream is the result alone.
      assert.equal([lines.length, result.type, result.status], [1, "result", "no-changes"]);
      continue;
    }
    assert.equal([lines[0].type, lines[0].total > 0], ["steps", true]);
    const events = lines.slice(1, -1);
    const count = (type: string) => events.filter((l) => l.type === type).length;
    assert.equal(
      [count("start"), count("succeed"), events.length],
      [lines[0].total, lines[0].total, 2 * lines[0].total],
    );
    assert.ok(events.every((l) => l.address === "realm/shop" && typeof l.elapsed_ms === "number"));
    assert.equal([result.type, result.status, result.steps.succeeded], ["result", "succeeded", lines[0].total]);
    assert.is(result.plan.summary.add, 1);
  }
  const mixed = await kuke("apply", "--auto-approve", "--json", "--progress", "plain", "-f", file);
  assert.is(mixed.code, 64);
  assert.match(mixed.stderr, "--json prints JSON progress events");
});

t.run();
