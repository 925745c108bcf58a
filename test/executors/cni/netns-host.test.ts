/** Pins on this host: a burst of pins and unpins (one `mount -a` / `umount` for several), paths that need fstab escapes. */
import { watch } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runCommand } from "../../../src/executors/cni/host-command.js";
import { bindNamespaces, unmountAll } from "../../../src/executors/cni/mount-batch.js";
import { NetnsPinner } from "../../../src/executors/cni/netns.js";
import { cellAddress } from "../../../src/model/address.js";
import { type NetnsHolder, startNetnsHolder } from "../../harness/netns.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/cni/netns pins on this host");
let dir = "";
let pinner: NetnsPinner;
const holders: NetnsHolder[] = [];

/** Unmounts every layer on the files under `d`, then removes it. */
async function unmountUnder(d: string): Promise<void> {
  for (const n of await readdir(join(d, "netns")).catch(() => [] as string[])) {
    for (let i = 0; i < 4; i++) if ((await runCommand("umount", [join(d, "netns", n)])).code !== 0) break;
  }
  await rm(d, { recursive: true, force: true });
}

t.before(async () => {
  // A space in the runtime directory: the batch's fstab must escape it.
  dir = await mkdtemp(join(tmpdir(), "kuke netns "));
  onTeardown(`unmount and rm ${dir}`, () => unmountUnder(dir));
  pinner = new NetnsPinner(dir);
  for (let i = 0; i < 4; i++) holders.push(await startNetnsHolder());
});
t.after(async () => {
  for (const h of holders) await h.kill();
  await unmountUnder(dir);
});

const cells = [0, 1, 2, 3].map((i) => cellAddress("r", "s", "t", `c${i}`));

t("pins made at once each hold their process's namespace; unpins made at once remove them all", async () => {
  const paths = await Promise.all(cells.map((c, i) => pinner.pin(c, holders[i]?.pid as number)));
  for (const [i, p] of paths.entries()) {
    const [pin, ns] = await Promise.all([stat(p), stat(`/proc/${holders[i]?.pid}/ns/net`)]);
    assert.is(pin.ino, ns.ino, p);
    assert.is(pin.dev, ns.dev, p);
    assert.ok(await pinner.isPinned(cells[i] as never));
  }
  assert.equal(await pinner.pinnedNames(), paths.map((p) => p.slice(pinner.dir.length + 1)).sort());
  // Pinning again is a no-op, at once as well.
  assert.equal(await Promise.all(cells.map((c, i) => pinner.pin(c, holders[i]?.pid as number))), paths);

  await Promise.all(cells.map((c) => pinner.unpin(c)));
  for (const c of cells) assert.not.ok(await pinner.isPinned(c));
  assert.equal(await pinner.list(), []);
});

t("in a batch, an entry that cannot be mounted fails alone with its own error; the others are mounted", async () => {
  const d = join(dir, "netns");
  await mkdir(d, { recursive: true });
  const targets = ["x", "y", "z"].map((n) => join(d, n));
  for (const f of targets) await writeFile(f, "");
  const ns = await Promise.all([0, 1].map((i) => stat(`/proc/${holders[i]?.pid}/ns/net`)));
  // Nothing is ever named in the directory during the batch (a kuke killed mid-batch leaves nothing).
  const named: string[] = [];
  const watcher = watch(d, (_event, name) => named.push(String(name)));
  const errors = await bindNamespaces(
    [
      { source: `/proc/${holders[0]?.pid}/ns/net`, target: targets[0] as string, want: ns[0] as never },
      { source: join(dir, "no such namespace"), target: targets[1] as string, want: { dev: 0, ino: 0 } },
      { source: `/proc/${holders[1]?.pid}/ns/net`, target: targets[2] as string, want: ns[1] as never },
    ],
    d,
  );
  await new Promise((r) => setTimeout(r, 50));
  watcher.close();
  // An O_TMPFILE file shows in inotify as "#<inode>" but never has a directory entry.
  assert.equal(
    named.filter((n) => !["x", "y", "z"].includes(n) && !/^#\d+$/.test(n)),
    [],
  );
  assert.is(errors[0], undefined);
  assert.is(errors[2], undefined);
  assert.match(String(errors[1]), /mount --bind/);
  assert.is((await stat(targets[0] as string)).ino, ns[0]?.ino);
  assert.is((await stat(targets[2] as string)).ino, ns[1]?.ino);

  // One umount for all three: the one never mounted is no error, the others come off.
  const nsfs = (await stat("/proc/self/ns/net")).dev;
  assert.equal(await unmountAll(targets, nsfs), [undefined, undefined, undefined]);
  for (const f of targets) assert.is.not((await stat(f)).dev, nsfs, f);
  // The batch's fstab is gone.
  assert.equal((await readdir(d)).sort(), ["x", "y", "z"]);
});

t.run();
