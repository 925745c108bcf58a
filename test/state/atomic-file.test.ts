import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { isTempName, removeAbandonedTemp, tempPathFor, writeFileAtomic } from "../../src/fs/atomic-file.js";
import { deadPid } from "./helpers/child.js";
import { tempRunPath } from "./helpers/temp-run-path.js";

const t = suite("state/atomic-file");

t("writes files 0600 in directories created 0700 and leaves no temporary file", async () => {
  const { layout, cleanup } = tempRunPath("atomic");
  try {
    const file = join(layout.root, "a", "b", "f.json");
    await writeFileAtomic(file, "one");
    await writeFileAtomic(file, "two");
    assert.is(readFileSync(file, "utf8"), "two");
    assert.is(statSync(file).mode & 0o777, 0o600);
    for (const dir of [layout.root, join(layout.root, "a"), join(layout.root, "a", "b")]) {
      assert.is(statSync(dir).mode & 0o777, 0o700, dir);
    }
    assert.equal(readdirSync(join(layout.root, "a", "b")), ["f.json"]);
  } finally {
    cleanup();
  }
});

t("a crash between write and rename leaves the old file whole; the temp file is recognized and removed", async () => {
  const { layout, cleanup } = tempRunPath("crash");
  try {
    const file = join(layout.root, "f.json");
    await writeFileAtomic(file, '{"v":1}');
    // Exactly what a writer killed before its rename leaves behind: a partial temp file of its pid.
    const dead = await deadPid();
    const tmp = tempPathFor(file, dead);
    writeFileSync(tmp, '{"v":2, "trunc');
    const tmpName = tmp.slice(layout.root.length + 1);
    assert.ok(isTempName(tmpName));
    assert.not.ok(isTempName("f.json"));
    assert.is(readFileSync(file, "utf8"), '{"v":1}');

    // A live writer's temp file (ours) is never deleted, a dead one's is.
    const mine = tempPathFor(file);
    writeFileSync(mine, "in progress");
    assert.not.ok(await removeAbandonedTemp(layout.root, mine.slice(layout.root.length + 1)));
    assert.ok(await removeAbandonedTemp(layout.root, tmpName));
    assert.equal(readdirSync(layout.root).sort(), [mine.slice(layout.root.length + 1), "f.json"].sort());
  } finally {
    cleanup();
  }
});

t("a failed write removes its temporary file and throws a classified error", async () => {
  const { layout, cleanup } = tempRunPath("fail");
  try {
    // The target is a directory, so the rename fails after the temp file was written.
    const target = join(layout.root, "dir");
    await writeFileAtomic(join(target, "inner"), "x");
    try {
      await writeFileAtomic(target, "y");
      assert.unreachable("should have thrown");
    } catch (e) {
      assert.is((e as { code: string }).code, "runtime");
      assert.match((e as Error).message, target);
    }
    assert.equal(readdirSync(layout.root), ["dir"]);
  } finally {
    cleanup();
  }
});

t.run();
