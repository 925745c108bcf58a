/** A container's log files at container.delete: a replace keeps the log as the previous one, a delete removes both. */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { keepLogAsPrevious, removeContainerLog, removeLogs } from "../../src/engine/container-files.js";
import { containerAddress } from "../../src/model/index.js";
import { containerLogPath, previousLogPath } from "../../src/state/run-path.js";
import { onTeardown } from "../harness/teardown.js";

const t = suite("engine/container-files");
let dir = "";
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kuke-container-files-"));
  onTeardown(`rm ${dir}`, () => rm(dir, { recursive: true, force: true }));
});
t.after(() => rm(dir, { recursive: true, force: true }));

const gone = async (f: string) => (await stat(f).catch(() => undefined)) === undefined;
const app = containerAddress("r", "s", "t", "c", "app");

t("a replace keeps the log as the previous one (replacing an older one); no log is fine", async () => {
  const logs = join(dir, "a");
  const f = containerLogPath(logs, app);
  await mkdir(dirname(f), { recursive: true });
  await writeFile(previousLogPath(f), "older\n");
  await writeFile(f, "old container\n");
  await keepLogAsPrevious(logs, app);
  assert.is(await readFile(previousLogPath(f), "utf8"), "old container\n");
  assert.ok(await gone(f));
  await keepLogAsPrevious(logs, app);
  assert.is(await readFile(previousLogPath(f), "utf8"), "old container\n");
});

t("a delete (and purge's removal of a container's logs) removes both files", async () => {
  for (const remove of [removeContainerLog, removeLogs]) {
    const logs = join(dir, `b-${remove.name}`);
    const f = containerLogPath(logs, app);
    await mkdir(dirname(f), { recursive: true });
    await writeFile(f, "now\n");
    await writeFile(previousLogPath(f), "before\n");
    await remove(logs, app);
    assert.ok(await gone(f), remove.name);
    assert.ok(await gone(previousLogPath(f)), remove.name);
  }
});

t.run();
