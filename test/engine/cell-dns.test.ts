/** A space's name files: created on ensure, rewritten in place on attach/detach, unchanged files left alone. */
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { CellDnsFiles, hostsFileText } from "../../src/engine/cell-dns.js";
import type { ActualAttachment } from "../../src/model/actual-state.js";
import { type CellAddress, cellAddress, formatAddress } from "../../src/model/address.js";
import { networkName } from "../../src/model/host-names.js";
import { cellFilesOf } from "../../src/state/run-path.js";
import { onTeardown } from "../harness/teardown.js";

const t = suite("engine/cell-dns");
let dir = "";
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kuke-cell-dns-"));
  onTeardown(`rm ${dir}`, () => rm(dir, { recursive: true, force: true }));
});
t.after(() => rm(dir, { recursive: true, force: true }));

const cells = ["web", "db", "cache"].map((c) => cellAddress("r", "s", "t", c));
const other = cellAddress("r", "s", "u", "api");

/** A run path, a host resolv.conf and the attachments a fake network listing returns. */
async function world(name: string) {
  const runPath = join(dir, name);
  const resolv = join(dir, `${name}-resolv.conf`);
  await writeFile(resolv, "nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch example\n");
  const attached = new Map<CellAddress, string>();
  const list = async (): Promise<Record<string, ActualAttachment>> => {
    const out: Record<string, ActualAttachment> = {};
    for (const [c, ip] of attached) {
      out[`id-${c.stack}-${c.cell}`] = { ip, cell: formatAddress(c), network: networkName(c.realm, c.space) };
    }
    // A cell of another space is never named.
    out.elsewhere = {
      ip: "10.9.9.9",
      cell: formatAddress(cellAddress("r", "x", "t", "z")),
      network: networkName("r", "x"),
    };
    return out;
  };
  const dns = new CellDnsFiles(runPath, list, resolv);
  /** An attach as the engine reports it: the record (the listing) and the writer both learn of it. */
  const attach = (c: CellAddress, ip: string) => {
    attached.set(c, ip);
    dns.attached(c, networkName(c.realm, c.space), ip);
  };
  return { runPath, resolv, attached, list, dns, attach };
}

const read = (f: string) => readFile(f, "utf8");

t(
  "ensure creates both files with the names known now; refreshSpace rewrites every attached cell in place",
  async () => {
    const w = await world("rewrite");
    const [web, db, cache] = cells as [CellAddress, CellAddress, CellAddress];
    const files = await w.dns.ensure(web);
    assert.equal(files, cellFilesOf(w.runPath, web));
    assert.is(await read(files.hosts), hostsFileText(web, []));
    assert.is(
      await read(files.resolvConf),
      "# written by kuke from the host's resolv.conf\n# 1 loopback nameserver(s) of the host left out: unreachable from a cell\nnameserver 10.0.0.2\nsearch example\n",
    );
    const inode = (await stat(files.hosts)).ino;

    w.attach(web, "10.0.0.10");
    w.attach(db, "10.0.0.11");
    w.attach(other, "10.0.0.12");
    await w.dns.ensure(db);
    await w.dns.refreshSpace("r", "s");
    const peers = [
      { cell: web, ip: "10.0.0.10" },
      { cell: db, ip: "10.0.0.11" },
      { cell: other, ip: "10.0.0.12" },
    ];
    assert.is(await read(files.hosts), hostsFileText(web, peers));
    assert.is(await read(cellFilesOf(w.runPath, db).hosts), hostsFileText(db, peers));
    assert.match(await read(files.hosts), /10\.0\.0\.11\tdb db\.t\.s\n/);
    assert.match(await read(files.hosts), /10\.0\.0\.12\tapi\.u\.s\n/);
    assert.not.match(await read(files.hosts), /10\.9\.9\.9/);
    // Rewritten in place: bind mounts of the old inode see the new text.
    assert.is((await stat(files.hosts)).ino, inode);
    // A cell without files (not built yet, or torn down) gets none from a rewrite.
    assert.is(await stat(cellFilesOf(w.runPath, cache).hosts).catch(() => undefined), undefined);

    // A detached cell leaves the others' files; its own are removed. The shorter text is padded with
    // blank lines to the size the file had instead of truncating it (same text to a resolver).
    const before = (await stat(files.hosts)).size;
    w.attached.delete(db);
    await w.dns.remove(db);
    await w.dns.refreshSpace("r", "s");
    const shrunk = hostsFileText(web, [peers[0], peers[2]] as never);
    assert.is(await read(files.hosts), shrunk + "\n".repeat(before - Buffer.byteLength(shrunk)));
    assert.is((await stat(files.hosts)).size, before);
    assert.is((await stat(files.hosts)).ino, inode);
    assert.not.match(await read(files.hosts), /db/);
    // A new writer (the next kuke process) does not know the size: it truncates to the text.
    const fresh = new CellDnsFiles(w.runPath, w.list, w.resolv);
    await fresh.refreshSpace("r", "s");
    assert.is(await read(files.hosts), shrunk);
    assert.is(await stat(cellFilesOf(w.runPath, db).hosts).catch(() => undefined), undefined);
  },
);

t("a rewrite leaves files whose text is unchanged untouched, and follows a changed host resolv.conf", async () => {
  const w = await world("unchanged");
  const [web, db] = cells as [CellAddress, CellAddress];
  w.attach(web, "10.0.0.10");
  const files = await w.dns.ensure(web);
  await w.dns.refreshSpace("r", "s");
  const past = new Date("2020-01-01T00:00:00Z");
  await utimes(files.hosts, past, past);
  await utimes(files.resolvConf, past, past);

  // db attaches: web's hosts file changes, its resolv.conf does not.
  w.attach(db, "10.0.0.11");
  await w.dns.refreshSpace("r", "s");
  assert.match(await read(files.hosts), /db/);
  assert.not.equal((await stat(files.hosts)).mtime, past);
  assert.equal((await stat(files.resolvConf)).mtime, past);

  // Nothing changed at all: neither file is written.
  await utimes(files.hosts, past, past);
  await w.dns.refreshSpace("r", "s");
  assert.equal((await stat(files.hosts)).mtime, past);

  await writeFile(w.resolv, "nameserver 10.0.0.3\n");
  await w.dns.refreshSpace("r", "s");
  assert.match(await read(files.resolvConf), /nameserver 10\.0\.0\.3\n/);
});

t(
  "the attachments are listed once; attaches and removals told to the writer update the names without a listing",
  async () => {
    const w = await world("listed-once");
    const [web, db, cache] = cells as [CellAddress, CellAddress, CellAddress];
    w.attached.set(web, "10.0.0.10");
    let listings = 0;
    const dns = new CellDnsFiles(
      w.runPath,
      () => {
        listings++;
        return w.list();
      },
      w.resolv,
    );
    const files = await dns.ensure(web);
    await dns.ensure(db);
    assert.is(listings, 1);
    assert.match(await read(files.hosts), /10\.0\.0\.10\tweb web\.t\.s\n/);

    // Told of db: named in web's file, no listing. A record the writer was not told of (cache) is not
    // seen until the writer forgets what it knows.
    dns.attached(db, networkName("r", "s"), "10.0.0.11");
    w.attached.set(cache, "10.0.0.12");
    await dns.refreshSpace("r", "s");
    assert.is(listings, 1);
    assert.match(await read(files.hosts), /10\.0\.0\.11\tdb db\.t\.s\n/);
    assert.not.match(await read(files.hosts), /cache/);

    // db removed: its name leaves web's file, no listing.
    await dns.remove(db);
    await dns.refreshSpace("r", "s");
    assert.is(listings, 1);
    assert.not.match(await read(files.hosts), /db/);

    // After a failed attach or detach the engine makes the writer forget: the records are listed again.
    dns.forgetAttachments();
    await dns.refreshSpace("r", "s");
    assert.is(listings, 2);
    assert.match(await read(files.hosts), /10\.0\.0\.12\tcache cache\.t\.s\n/);
  },
);

t("ensure re-creates files removed behind the writer's back, even with the same text", async () => {
  const w = await world("recreate");
  const [web] = cells as [CellAddress];
  const files = await w.dns.ensure(web);
  const text = await read(files.hosts);
  await rm(files.hosts);
  await w.dns.ensure(web);
  assert.is(await read(files.hosts), text);
});

t(
  "cells the run will detach keep their files until their detach; settle brings the ones still here up to date",
  async () => {
    const w = await world("leaving");
    const [web, db, cache] = cells as [CellAddress, CellAddress, CellAddress];
    const all = [web, db, cache, other];
    for (const [i, c] of all.entries()) w.attach(c, `10.0.0.${10 + i}`);
    for (const c of all) await w.dns.ensure(c);
    await w.dns.refreshSpace("r", "s");
    const hosts = (c: CellAddress) => read(cellFilesOf(w.runPath, c).hosts);
    const before = new Map<CellAddress, string>();
    for (const c of all) before.set(c, await hosts(c));
    assert.match(before.get(web) as string, /cache/);

    // The run detaches web, db and cache; other stays. cache's detach runs first.
    w.dns.willDetach([web, db, cache].map(formatAddress));
    w.attached.delete(cache);
    await w.dns.remove(cache);
    await w.dns.refreshSpace("r", "s");
    // Cells about to leave are not written (their detach removes their files); the staying one is.
    assert.is(await hosts(web), before.get(web));
    assert.is(await hosts(db), before.get(db));
    assert.not.match(await hosts(other), /cache/);
    assert.match(await hosts(other), /10\.0\.0\.11\tdb\.t\.s\n/);

    // web's detach ran: its files are gone.
    w.attached.delete(web);
    await w.dns.remove(web);
    assert.is(await stat(cellFilesOf(w.runPath, web).hosts).catch(() => undefined), undefined);

    // db's detach failed or never ran: at the run's end its files name the space as it is.
    await w.dns.settle();
    const dbText = await hosts(db);
    assert.not.match(dbText, /cache/);
    assert.not.match(dbText, /web/);
    assert.match(dbText, /10\.0\.0\.11\tdb db\.t\.s\n/);
    assert.match(dbText, /10\.0\.0\.13\tapi\.u\.s\n/);
    // settle forgets the leaving cells: a later rewrite writes db again.
    w.attach(cache, "10.0.0.14");
    await w.dns.refreshSpace("r", "s");
    assert.match(await hosts(db), /10\.0\.0\.14\tcache cache\.t\.s\n/);
  },
);

t("hostsFileText orders peers by address whatever order they come in", () => {
  const [web, db, cache] = cells as [CellAddress, CellAddress, CellAddress];
  const a = hostsFileText(web, [
    { cell: web, ip: "10.0.0.1" },
    { cell: db, ip: "10.0.0.2" },
    { cell: cache, ip: "10.0.0.3" },
  ]);
  const b = hostsFileText(web, [
    { cell: cache, ip: "10.0.0.3" },
    { cell: web, ip: "10.0.0.1" },
    { cell: db, ip: "10.0.0.2" },
  ]);
  assert.is(a, b);
  const names = a
    .split("\n")
    .filter((l) => l.startsWith("10."))
    .map((l) => l.split("\t")[1]);
  assert.equal(names, ["cache cache.t.s", "db db.t.s", "web web.t.s"]);
});

t.run();
