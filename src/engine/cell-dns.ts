/**
 * Names inside a space (DESIGN §2): each cell gets a hosts file and a resolv.conf under the run
 * path (`cellFilesOf`), bind-mounted into each of its containers. The hosts file names every cell
 * of the space that is attached to its network: `<cell>.<stack>.<space>` always, and the bare
 * `<cell>` for cells of the same stack (a bare name could be ambiguous across stacks). The files
 * are rewritten in place (same inode, so the bind mounts inside running containers see the new
 * text) whenever a cell of the space is attached or detached.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import { rm, rmdir } from "node:fs/promises";
import { dirname } from "node:path";
import { errnoOf } from "../fs/fs-errors.js";
import { readText, removeFile } from "../fs/small-file.js";
import type { ActualAttachment } from "../model/actual-state.js";
import { type CellAddress, cellAddress, formatAddress, parseAddress } from "../model/address.js";
import { networkName } from "../model/host-names.js";
import { cellFilesDirOf, cellFilesOf, cellFilesRoot } from "../state/run-path.js";
import { removeEmptyParents } from "./container-files.js";

/** A cell of the space and its address on the space's bridge. */
export interface CellPeer {
  cell: CellAddress;
  ip: string;
}

/** The hosts file of `self`: loopback names, then every attached cell of the space, sorted by name. */
export function hostsFileText(self: CellAddress, peers: CellPeer[]): string {
  return hostsTextOfSorted(self, sortPeers(peers));
}

/** Peers in the hosts file's order; each address is formatted once, not once per comparison. */
function sortPeers(peers: CellPeer[]): CellPeer[] {
  return peers
    .map((p) => ({ p, key: formatAddress(p.cell) }))
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((x) => x.p);
}

/** `hostsFileText` of peers already in `sortPeers` order: a rewrite sorts once for all its cells. */
function hostsTextOfSorted(self: CellAddress, sorted: CellPeer[]): string {
  const lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"];
  for (const { cell, ip } of sorted) {
    const names = [`${cell.cell}.${cell.stack}.${cell.space}`];
    if (cell.stack === self.stack) names.unshift(cell.cell);
    lines.push(`${ip}\t${names.join(" ")}`);
  }
  return `# written by kuke for ${formatAddress(self)}; rewritten when the space's cells change\n${lines.join("\n")}\n`;
}

/**
 * A cell's resolv.conf from the host's: the same search domains and options, without loopback
 * nameservers (a resolver such as systemd-resolved's 127.0.0.53 listens in the host's network
 * namespace, which a cell cannot reach).
 */
export function resolvConfText(hostResolvConf: string): string {
  const out: string[] = [];
  let skipped = 0;
  let kept = 0;
  for (const line of hostResolvConf.split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) {
      const addr = m[1]!;
      if (addr.startsWith("127.") || addr === "::1") {
        skipped++;
        continue;
      }
      kept++;
      out.push(`nameserver ${addr}`);
    } else if (/^\s*(search|domain|options)\s/.test(line)) out.push(line.trim());
  }
  const head = ["# written by kuke from the host's resolv.conf"];
  if (skipped > 0) head.push(`# ${skipped} loopback nameserver(s) of the host left out: unreachable from a cell`);
  if (kept === 0) head.push("# the host has no nameserver a cell can reach: only names in /etc/hosts resolve");
  return `${[...head, ...out].join("\n")}\n`;
}

/**
 * Writes `text` into `path` in place: rewritten, never replaced, so bind mounts keep seeing it.
 * `create`: make the file (and its folders) when missing; otherwise a missing file is left missing
 * (its cell is being torn down, or not built yet) and false is returned. `size`: the file's size
 * when known (this process wrote it last); a shorter text is then padded with newlines to it
 * instead of truncating the file, since blank lines mean nothing in either file and a truncate on
 * ext4 waits for the journal (on a detach every other cell's hosts file shrinks). Otherwise the
 * file is truncated first. Returns the size written.
 *
 * Synchronous: a few hundred bytes into the page cache, no fsync (the files are rebuilt from the
 * attachments), and a rewrite of a space writes every cell's files, where a promise and a
 * thread-pool round trip per call cost more CPU than the calls themselves.
 */
function writeInPlace(path: string, text: string, create: boolean, size?: number): number | undefined {
  if (create) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, create ? "w" : "r+", 0o644);
  } catch (e) {
    if (!create && errnoOf(e) === "ENOENT") return undefined;
    throw e;
  }
  try {
    const data = Buffer.from(text);
    const pad = create || size === undefined ? 0 : Math.max(0, size - data.length);
    if (!create && size === undefined) ftruncateSync(fd, 0);
    const out = pad > 0 ? Buffer.concat([data, Buffer.alloc(pad, "\n")]) : data;
    for (let off = 0; off < out.length; ) off += writeSync(fd, out, off, out.length - off, off);
    return out.length;
  } finally {
    closeSync(fd);
  }
}

/**
 * The hosts and resolv.conf files of one run's cells. `refreshSpace` calls that overlap are
 * coalesced: a call waits for a rewrite that starts after it, so the last attach of a burst is
 * always in the files, and a burst of N attaches costs a few rewrites, not N.
 */
export class CellDnsFiles {
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<void>>();
  /**
   * The text this instance last wrote to each file, and the file's size after. A file whose new text is the same is not
   * written again: every attach rewrites the whole space, where each resolv.conf and most hosts
   * files are unchanged. Only kuke writes these files, under the run-path lock, and `remove`
   * forgets a removed cell's entries, so the memo matches the disk.
   */
  private readonly written = new Map<string, { text: string; size: number }>();
  /**
   * The space's attached cells as this instance knows them, by cell address: the network
   * executor's listing, read once (at the first use), then kept up to date by `attached` and
   * `remove`, which the engine calls after each attach and detach. Only kuke attaches and detaches,
   * under the run-path lock, so the listing cannot change behind the run; reading every
   * attachment record again for each attach or detach made a destroy's name updates quadratic in
   * the cells of the space. `forgetAttachments` drops it (an attach or detach that failed midway).
   */
  private known: Promise<Map<string, { network: string; ip: string }>> | undefined;
  /**
   * Cells this run will detach (by address), told by `willDetach`: a rewrite before a cell's
   * detach leaves its files alone, since the detach removes them. A destroy of a space thus writes
   * no name files at all, where each detach rewrote every remaining cell's (quadratic in the cells,
   * issue 13). A cell still here when the run ends (its detach failed or never ran) is brought up
   * to date by `settle`.
   */
  private readonly leaving = new Set<string>();

  constructor(
    private readonly runPath: string,
    /** Every recorded attachment, by CNI container id (the network executor's listing). */
    private readonly listAttachments: () => Promise<Record<string, ActualAttachment>>,
    private readonly hostResolvConf = "/etc/resolv.conf",
  ) {}

  /** Creates the cell's files if missing (before its first container is created), with the names known now. */
  async ensure(cell: CellAddress): Promise<{ hosts: string; resolvConf: string }> {
    const files = cellFilesOf(this.runPath, cell);
    if (exists(files.hosts) && exists(files.resolvConf)) return files;
    const [peers, resolvConf] = await Promise.all([this.peers(cell.realm, cell.space), this.resolvConf()]);
    this.writeCell(cell, peers, resolvConf, true);
    return files;
  }

  /** The cells (addresses) this run detaches; see `leaving`. */
  willDetach(cells: Iterable<string>): void {
    for (const c of cells) this.leaving.add(c);
  }

  /**
   * At the end of a run: rewrites the spaces of cells that were to be detached and are still here
   * (their detach failed or never ran), so their files name the space's cells as they are.
   */
  async settle(): Promise<void> {
    const spaces = new Map<string, { realm: string; space: string }>();
    for (const c of this.leaving) {
      const a = parseAddress(c);
      if (a.kind === "cell") spaces.set(`${a.realm}/${a.space}`, { realm: a.realm, space: a.space });
    }
    this.leaving.clear();
    for (const { realm, space } of spaces.values()) await this.refreshSpace(realm, space);
  }

  /** Rewrites the files of every attached cell of the space (but those of cells about to leave it). */
  refreshSpace(realm: string, space: string): Promise<void> {
    const key = `${realm}/${space}`;
    const queued = this.queued.get(key);
    if (queued) return queued;
    const running = this.running.get(key);
    const next = (running ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(key);
        const run = this.rewrite(realm, space).finally(() => {
          if (this.running.get(key) === run) this.running.delete(key);
        });
        this.running.set(key, run);
        return run;
      });
    if (running) this.queued.set(key, next);
    return next;
  }

  /** The cell is attached to `network` with address `ip` (after an attach succeeded). */
  attached(cell: CellAddress, network: string, ip: string): void {
    this.update((m) => m.set(formatAddress(cell), { network, ip }));
  }

  /** Drops what this instance knows of the attachments; the next rewrite lists them again. */
  forgetAttachments(): void {
    this.known = undefined;
  }

  /** Removes the cell's files and its name (after it left the network); absent is fine. */
  async remove(cell: CellAddress): Promise<void> {
    const address = formatAddress(cell);
    this.update((m) => m.delete(address));
    this.leaving.delete(address);
    const dir = cellFilesDirOf(this.runPath, cell);
    const files = cellFilesOf(this.runPath, cell);
    this.written.delete(files.hosts);
    this.written.delete(files.resolvConf);
    // The two files by name, then the folder: `rm -r` lists and stats each entry on the way.
    await Promise.all([removeFile(files.hosts), removeFile(files.resolvConf)]);
    try {
      await rmdir(dir);
    } catch (e) {
      const code = errnoOf(e);
      if (code === "ENOTEMPTY" || code === "EEXIST") await rm(dir, { recursive: true, force: true });
      else if (code !== "ENOENT") throw e;
    }
    await removeEmptyParents(dir, cellFilesRoot(this.runPath));
  }

  private async rewrite(realm: string, space: string): Promise<void> {
    const [peers, resolvConf] = await Promise.all([this.peers(realm, space), this.resolvConf()]);
    for (const p of peers) {
      if (this.leaving.size > 0 && this.leaving.has(formatAddress(p.cell))) continue;
      this.writeCell(p.cell, peers, resolvConf, false);
    }
  }

  /** The cells' resolv.conf text from the host's, read once per rewrite. */
  private async resolvConf(): Promise<string> {
    return resolvConfText(await readText(this.hostResolvConf).catch(() => ""));
  }

  /** Writes both files of the cell (`peers` sorted); `create` as in `writeInPlace`. */
  private writeCell(cell: CellAddress, peers: CellPeer[], resolvConf: string, create: boolean): void {
    const files = cellFilesOf(this.runPath, cell);
    if (this.writeOnce(files.hosts, hostsTextOfSorted(cell, peers), create)) {
      this.writeOnce(files.resolvConf, resolvConf, create);
    }
  }

  /** `writeInPlace` unless this instance already wrote the same text there (`ensure` found a file missing: always). */
  private writeOnce(path: string, text: string, create: boolean): boolean {
    const last = create ? undefined : this.written.get(path);
    if (last?.text === text) return true;
    const size = writeInPlace(path, text, create, last?.size);
    if (size === undefined) return false;
    this.written.set(path, { text, size });
    return true;
  }

  /** Applies `change` to the known attachments after the listing (if one was made) arrived. */
  private update(change: (m: Map<string, { network: string; ip: string }>) => void): void {
    this.known = this.known?.then((m) => {
      change(m);
      return m;
    });
  }

  /** The known attachments, listed at the first call (a failed listing is not kept). */
  private attachments(): Promise<Map<string, { network: string; ip: string }>> {
    if (this.known === undefined) {
      const listing = this.listAttachments().then((all) => {
        const m = new Map<string, { network: string; ip: string }>();
        for (const a of Object.values(all)) {
          if (a.network !== undefined && a.cell !== undefined) m.set(a.cell, { network: a.network, ip: a.ip });
        }
        return m;
      });
      this.known = listing;
      listing.catch(() => {
        if (this.known === listing) this.known = undefined;
      });
    }
    return this.known;
  }

  private async peers(realm: string, space: string): Promise<CellPeer[]> {
    const network = networkName(realm, space);
    const out: CellPeer[] = [];
    for (const [cell, a] of await this.attachments()) {
      if (a.network !== network) continue;
      const addr = parseAddress(cell);
      if (addr.kind === "cell")
        out.push({ cell: cellAddress(addr.realm, addr.space, addr.stack, addr.cell), ip: a.ip });
    }
    return sortPeers(out);
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return false;
    throw e;
  }
}
