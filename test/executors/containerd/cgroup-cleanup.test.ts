import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { removeEmptyCgroups } from "../../../src/executors/containerd/cgroup-cleanup.js";
import { expectCode } from "../../harness/assert-kuke.js";
import { onTeardown } from "../../harness/teardown.js";

/** removeEmptyCgroups on plain directories standing in for cgroup mounts (rmdir behaves the same on empty dirs). */
const t = suite("executors/containerd/cgroup-cleanup");

async function layout(): Promise<{ base: string; mount: string }> {
  const base = await mkdtemp(join(tmpdir(), "kt-cgclean-"));
  onTeardown(`cgroup cleanup test dir ${base}`, () => rm(base, { recursive: true, force: true }));
  const mount = join(base, "mount");
  await mkdir(join(mount, "kukeon/r/s/t/c/app"), { recursive: true });
  await mkdir(join(base, "outside/empty"), { recursive: true });
  return { base, mount };
}

t("removes the path and its empty ancestors below keep, and stops at a busy one", async () => {
  const { mount } = await layout();
  await mkdir(join(mount, "kukeon/r/s/other"));
  await removeEmptyCgroups("/kukeon/r/s/t/c/app", "/kukeon/r", [mount]);
  assert.equal(await readdir(join(mount, "kukeon/r/s")), ["other"], "t and below went; s still has a child");
});

t("a path or keep with . or .. is refused before anything is removed", async () => {
  const { base, mount } = await layout();
  for (const [path, keep] of [
    ["/../outside/empty", "/"],
    ["/kukeon/../../outside/empty", "/"],
    ["/kukeon/r/s/t/c/app", "/kukeon/.."],
    ["/./kukeon/r", "/"],
  ] as const) {
    const e = await expectCode(removeEmptyCgroups(path, keep, [mount]), "runtime");
    assert.match(e.message, /must not contain \. or \.\./, `${path} (keep ${keep})`);
  }
  assert.equal(await readdir(join(base, "outside")), ["empty"], "nothing outside the mount was removed");
  assert.equal(await readdir(join(mount, "kukeon/r/s/t/c")), ["app"], "nothing inside was removed either");
});

t.run();
