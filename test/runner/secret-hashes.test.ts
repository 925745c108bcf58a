/** Secret digests taken when planning: they follow the source, never hold the value, and report unreadable sources. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { secretDigests } from "../../src/runner/secret-hashes.js";
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

t("digests follow the source's value and never contain it", async () => {
  const file = join(dir, "token");
  await writeFile(file, "first-secret-value");
  const env = { KUKE_TEST_PASSWORD: "hunter2-value" };
  const a = await secretDigests(desiredWith(file), env);
  assert.equal(Object.keys(a), [APP], "only containers with secrets");
  const token = a[APP]?.token;
  assert.ok(token && "valueHash" in token && token.valueHash.startsWith("sha256:"));
  assert.not.ok(JSON.stringify(a).includes("first-secret-value") || JSON.stringify(a).includes("hunter2-value"));
  assert.equal(await secretDigests(desiredWith(file), env), a, "same values, same digests");
  await writeFile(file, "rotated-secret-value");
  const b = await secretDigests(desiredWith(file), env);
  assert.not.equal(b[APP]?.token, a[APP]?.token, "a rotated file changes its digest");
  assert.equal(b[APP]?.PASSWORD, a[APP]?.PASSWORD);
  const c = await secretDigests(desiredWith(file), { KUKE_TEST_PASSWORD: "other" });
  assert.not.equal(c[APP]?.PASSWORD, a[APP]?.PASSWORD, "a changed variable changes its digest");
});

t("an unreadable source is a problem with a remedy, not a throw", async () => {
  const missing = join(dir, "absent");
  const d = await secretDigests(desiredWith(missing), {});
  const token = d[APP]?.token;
  assert.ok(token && "problem" in token);
  assert.ok(token.problem.includes(missing) && token.problem.includes("token"));
  assert.ok(token.remedy);
  const pw = d[APP]?.PASSWORD;
  assert.ok(pw && "problem" in pw && pw.problem.includes("KUKE_TEST_PASSWORD"));
});

t.run();
