/**
 * The package's bin is one bundled file (dist/kuke.js, scripts/bundle.js). It must run as an
 * installed package does: with no node_modules and no tsc tree beside it, finding what the package
 * ships (package.json, proto/, libexec/kuke-log) from its own place, also through a symlink as npm
 * installs bins.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { KUKE_MAIN } from "../harness/kuke-process.js";
import { onTeardown } from "../harness/teardown.js";

const t = suite("cli/bundle");
const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const example = join(repo, "fixtures", "examples", "stack.yaml");

/** A package folder with only what `npm pack` ships that the bin needs: no node_modules, no dist/src. */
async function lonePackage(): Promise<string> {
  const dir = await mkdtemp("/tmp/kuke-bundle-");
  onTeardown(`rm ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const pkg = join(dir, "lib", "node_modules", "kuke");
  await mkdir(join(pkg, "dist"), { recursive: true });
  await cp(KUKE_MAIN, join(pkg, "dist", "kuke.js"));
  for (const part of ["package.json", "proto", "libexec"])
    await cp(join(repo, part), join(pkg, part), { recursive: true });
  await mkdir(join(dir, "bin"));
  await symlink(join(pkg, "dist", "kuke.js"), join(dir, "bin", "kuke"));
  return dir;
}

t("package.json's bin is the bundle, which imports only Node's own modules", async () => {
  const pkg = JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as { bin: { kuke: string } };
  assert.is(pkg.bin.kuke, "./dist/kuke.js");
  const text = await readFile(join(repo, "dist", "kuke.js"), "utf8");
  const specifiers = [...text.matchAll(/^import\b[^;]*?\bfrom\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/gm)].map(
    (m) => m[1] ?? m[2],
  );
  assert.ok(specifiers.length > 0, "the bundle imports node:module for require()");
  assert.equal(
    specifiers.filter((s) => !s?.startsWith("node:")),
    [],
    "the bundle imports a file or package",
  );
});

t(
  "the bundle runs alone, through a symlinked bin: version, validate, plan, and a clear error without containerd",
  async () => {
    const dir = await lonePackage();
    const kuke = join(dir, "bin", "kuke");
    const env = { ...process.env, KUKE_RUN_PATH: join(dir, "run"), KUKE_RUNTIME_DIR: join(dir, "rt") };
    const version = await run(kuke, ["version"], { env });
    const pkg = JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as { version: string };
    assert.match(version.stdout, `kuke ${pkg.version}\n`);
    const validate = await run(kuke, ["validate", "-f", example], { env });
    assert.match(validate.stdout, "resources valid");
    const plan = await run(kuke, ["plan", "--refresh=false", "-f", example], { env });
    assert.match(plan.stdout, /Plan: \d+ to add/);
    // A refreshing plan finds its containerd protocol files (proto/) before it connects.
    let offline: { code: number; stderr: string } | undefined;
    try {
      await run(kuke, ["plan", "-f", example, "--containerd-address", join(dir, "no.sock")], { env });
    } catch (e) {
      offline = e as { code: number; stderr: string };
    }
    assert.ok(offline, "a plan without containerd succeeded");
    assert.is(offline.code, 1);
    assert.match(offline.stderr, `containerd does not answer at ${join(dir, "no.sock")}`);
    assert.not.match(offline.stderr, "this is a bug");
  },
);

t.run();
