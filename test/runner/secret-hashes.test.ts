/** Secret digests taken when planning: they follow the source, never hold the value, and report unreadable sources. */
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { credentialDigests, secretDigests } from "../../src/runner/secret-hashes.js";
import { lazySecretDigester } from "../../src/state/index.js";
import { onTeardown } from "../harness/teardown.js";
import { world } from "../planner/builders.js";

const APP = "container/main/web/app/api/app";
const t = suite("runner/secret-hashes");

let dir = "";
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kuke-secret-hashes-"));
  const made = dir;
  onTeardown("secret-hashes temp dir", () => rm(made, { recursive: true, force: true }));
});
t.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const desiredWith = (file: string) =>
  world({
    cells: [
      {
        name: "api",
        containers: [
          {
            id: "app",
            image: "busybox:1",
            secrets: [
              { name: "token", fromFile: file, mountPath: "/run/token" },
              { name: "PASSWORD", fromEnv: "KUKE_TEST_PASSWORD" },
            ],
          },
          { id: "plain", image: "busybox:1" },
        ],
      },
    ],
  });

const sha256 = (v: string) => createHash("sha256").update(v).digest("hex");

t("digests follow the source's value, never contain it, and are keyed by the run path", async () => {
  const file = join(dir, "token");
  await writeFile(file, "first-secret-value");
  const env = { KUKE_TEST_PASSWORD: "hunter2-value" };
  const digester = lazySecretDigester(join(dir, "run-a"));
  const a = await secretDigests(desiredWith(file), env, digester);
  assert.equal(Object.keys(a), [APP], "only containers with secrets");
  const token = a[APP]?.token;
  assert.ok(token && "valueHash" in token && token.valueHash.startsWith("hmac-sha256:"), JSON.stringify(token));
  const text = JSON.stringify(a);
  assert.not.ok(text.includes("first-secret-value") || text.includes("hunter2-value"));
  assert.not.ok(
    text.includes(sha256("first-secret-value")) || text.includes(sha256("hunter2-value")),
    "no unkeyed hash of a value",
  );
  assert.equal(await secretDigests(desiredWith(file), env, digester), a, "same values, same digests");
  assert.equal(
    await secretDigests(desiredWith(file), env, lazySecretDigester(join(dir, "run-a"))),
    a,
    "the same run path's key again (read back from its file)",
  );
  const other = await secretDigests(desiredWith(file), env, lazySecretDigester(join(dir, "run-b")));
  assert.not.equal(other[APP]?.token, a[APP]?.token, "another run path, another key");
  await writeFile(file, "rotated-secret-value");
  const b = await secretDigests(desiredWith(file), env, digester);
  assert.not.equal(b[APP]?.token, a[APP]?.token, "a rotated file changes its digest");
  assert.equal(b[APP]?.PASSWORD, a[APP]?.PASSWORD);
  const c = await secretDigests(desiredWith(file), { KUKE_TEST_PASSWORD: "other" }, digester);
  assert.not.equal(c[APP]?.PASSWORD, a[APP]?.PASSWORD, "a changed variable changes its digest");
});

t("registry passwords: keyed digests per realm, in credential order; realms without logins left out", async () => {
  const desired = world({
    cells: [],
    realm: "reg",
    credentials: [
      { username: "u", password: "pw-one", serverAddress: "127.0.0.1:5000" },
      { username: "v", password: "pw-two", serverAddress: "127.0.0.1:5001" },
    ],
  });
  const d = await credentialDigests(desired, lazySecretDigester(join(dir, "run-a")));
  assert.equal(Object.keys(d), ["reg"]);
  assert.is(d.reg?.length, 2);
  assert.ok(d.reg?.every((x) => x.startsWith("hmac-sha256:")));
  assert.not.equal(d.reg?.[0], d.reg?.[1]);
  assert.not.ok(JSON.stringify(d).includes(sha256("pw-one")));
});

t("an unreadable source is a problem with a remedy, not a throw", async () => {
  const missing = join(dir, "absent");
  const d = await secretDigests(desiredWith(missing), {}, lazySecretDigester(join(dir, "run-a")));
  const token = d[APP]?.token;
  assert.ok(token && "problem" in token);
  assert.ok(token.problem.includes(missing) && token.problem.includes("token"));
  assert.ok(token.remedy);
  const pw = d[APP]?.PASSWORD;
  assert.ok(pw && "problem" in pw && pw.problem.includes("KUKE_TEST_PASSWORD"));
});

t.run();
