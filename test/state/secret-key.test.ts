/** The run path's secret-digest key: made on first need, 0600, one key even when kukes race to make it. */
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { isKukeError } from "../../src/model/index.js";
import { loadSecretKey, runPathLayout, secretDigester } from "../../src/state/index.js";
import { onTeardown } from "../harness/teardown.js";

const t = suite("state/secret-key");
let dir = "";
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kuke-secret-key-"));
  const made = dir;
  onTeardown("secret-key temp dir", () => rm(made, { recursive: true, force: true }));
});
t.after(() => rm(dir, { recursive: true, force: true }));

t("made on first need with mode 0600, then read back unchanged", async () => {
  const run = join(dir, "one", "run");
  const path = runPathLayout(run).secretKey;
  const key = await loadSecretKey(run);
  assert.is(key.length, 32);
  assert.is((await stat(path)).mode & 0o777, 0o600);
  assert.equal(await loadSecretKey(run), key);
  assert.equal(
    (await readdir(join(dir, "one", "run"))).filter((n) => n.includes("tmp")),
    [],
    "no temporary file left",
  );
});

t("twenty concurrent first uses end with one key", async () => {
  const run = join(dir, "race");
  const keys = await Promise.all(Array.from({ length: 20 }, () => loadSecretKey(run)));
  for (const k of keys) assert.equal(k, keys[0]);
  assert.equal(await loadSecretKey(run), keys[0]);
});

t("a key file of the wrong size is refused with a remedy, not silently replaced", async () => {
  const run = join(dir, "bad");
  await loadSecretKey(run);
  await writeFile(runPathLayout(run).secretKey, "short");
  const e = await loadSecretKey(run).catch((x: unknown) => x);
  assert.ok(isKukeError(e, "failed-precondition"), String(e));
  assert.match(e.remedy ?? "", "remove");
});

t("digests are HMACs: same key and value, same digest; another key, another digest", () => {
  const a = secretDigester(Buffer.alloc(32, 1));
  const b = secretDigester(Buffer.alloc(32, 2));
  assert.is(a.digest("v"), a.digest(Buffer.from("v")));
  assert.match(a.digest("v"), /^hmac-sha256:[0-9a-f]{64}$/);
  assert.not.equal(a.digest("v"), b.digest("v"));
});

t.run();
