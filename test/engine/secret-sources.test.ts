/**
 * Secret sources are read with the engine's one reader (plan digests them, apply injects or mounts
 * them): only regular files, each with a size cap, and injected values within one environment
 * string. Each refusal names the secret and the source, never the value. A FIFO must be refused at
 * once: the 5 s bound below is a hang guard, not a speed claim.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { MAX_SECRET_ENV_BYTES, MAX_SECRET_FILE_BYTES, readSecret, resolveSecrets } from "../../src/engine/secrets.js";
import { containerAddress, isKukeError, type SecretRef } from "../../src/model/index.js";
import { onTeardown } from "../harness/teardown.js";

const t = suite("engine/secret-sources");
const A = containerAddress("demo", "apps", "shop", "web", "app");
let dir = "";
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kuke-secret-sources-"));
  const made = dir;
  onTeardown("secret-sources temp dir", () => rm(made, { recursive: true, force: true }));
});
t.after(() => rm(dir, { recursive: true, force: true }));

async function refusal(s: SecretRef, env: Record<string, string> = {}): Promise<string> {
  const hang = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`reading ${s.fromFile ?? s.fromEnv} hung`)), 5000);
    timer.unref();
  });
  try {
    await Promise.race([readSecret(s, A, env), hang]);
  } catch (e) {
    assert.ok(isKukeError(e), String(e));
    assert.is(e.code, "failed-precondition");
    assert.ok(e.remedy, "a remedy");
    return e.message;
  }
  throw new Error(`secret ${s.name} was read`);
}

t("a FIFO is refused at once instead of blocking plan", async () => {
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  assert.is(
    await refusal({ name: "token", fromFile: fifo, mountPath: "/run/token" }),
    `secret token: ${fifo} is a FIFO, not a regular file`,
  );
});

t("devices and directories are refused: /dev/zero never ends", async () => {
  assert.match(await refusal({ name: "z", fromFile: "/dev/zero", mountPath: "/z" }), "is a character device");
  assert.match(await refusal({ name: "d", fromFile: dir, mountPath: "/d" }), "is a directory");
});

t("a file over the cap is refused by its size; one at the cap is read whole", async () => {
  const big = join(dir, "big");
  await writeFile(big, "");
  await truncate(big, MAX_SECRET_FILE_BYTES + 1);
  assert.match(
    await refusal({ name: "big", fromFile: big, mountPath: "/big" }),
    `holds ${MAX_SECRET_FILE_BYTES + 1} bytes; a secret file may hold at most ${MAX_SECRET_FILE_BYTES} bytes`,
  );
  await truncate(big, MAX_SECRET_FILE_BYTES);
  const v = await readSecret({ name: "big", fromFile: big, mountPath: "/big" }, A, {});
  assert.is(v.length, MAX_SECRET_FILE_BYTES);
});

t("a symlink to a regular file is followed; a missing file names the errno", async () => {
  const real = join(dir, "real");
  await writeFile(real, "s3cret");
  await symlink(real, join(dir, "link"));
  const v = await readSecret({ name: "l", fromFile: join(dir, "link"), mountPath: "/l" }, A, {});
  assert.is(v.toString(), "s3cret");
  assert.is(
    await refusal({ name: "gone", fromFile: join(dir, "nope"), mountPath: "/g" }),
    `secret gone: cannot read ${join(dir, "nope")} (ENOENT)`,
  );
});

t("an injected secret must fit one environment string; mounted, the same value is fine", async () => {
  const name = "TOKEN";
  const fits = "x".repeat(MAX_SECRET_ENV_BYTES - name.length - 1);
  assert.is((await readSecret({ name, fromEnv: "V" }, A, { V: fits })).length, fits.length);
  const message = await refusal({ name, fromEnv: "V" }, { V: `${fits}x` });
  assert.match(message, "too many for an environment variable");
  assert.not.match(message, "xxxx");
  const file = join(dir, "env-size");
  await writeFile(file, `${fits}x`);
  assert.match(await refusal({ name, fromFile: file }), "too many for an environment variable");
  assert.is((await readSecret({ name, fromFile: file, mountPath: "/t" }, A, {})).length, fits.length + 1);
});

t("mounted secret files with 253-character names are written (the temporary name stays short)", async () => {
  const name = `S${"n".repeat(252)}`;
  const file = join(dir, "value");
  await writeFile(file, "v");
  const runtime = join(dir, "runtime");
  const out = await resolveSecrets([{ name, fromFile: file, mountPath: "/run/s" }], A, runtime, {});
  assert.is(out.files.length, 1);
  const written = await readdir(join(runtime, "secrets", "demo", "apps", "shop", "web", "app"));
  assert.equal(written, [name]);
});

t.run();
