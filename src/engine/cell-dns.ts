/**
 * Names inside a space (DESIGN §2): each cell gets a hosts file and a resolv.conf under the run
 * path (`cellFilesOf`), bind-mounted into each of its containers. The hosts file names every cell
 * of the space that is attached to its network: `<cell>.<stack>.<space>` always, and the bare
 * `<cell>` for cells of the same stack (a bare name could be ambiguous across stacks). The files
 * are rewritten in place (same inode, so the bind mounts inside running containers see the new
 * text) whenever a cell of the space is attached or detached.
 */
import { type FileHandle, mkdir, open, readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { errnoOf } from "../fs/fs-errors.js";
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
  const lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"];
  const sorted = [...peers].sort((a, b) => formatAddress(a.cell).localeCompare(formatAddress(b.cell)));
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
 * Writes `text` into `path` in place: truncated and rewritten, never replaced, so bind mounts keep
 * seeing it. `create`: make the file (and its folders) when missing; otherwise a missing file is
 * left missing (its cell is being torn down, or not built yet) and false is returned.
 */
async function writeInPlace(path: string, text: string, create: boolean): Promise<boolean> {
  if (create) await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let f: FileHandle;
  try {
    f = await open(path, create ? "w" : "r+", 0o644);
  } catch (e) {
    if (!create && errnoOf(e) === "ENOENT") return false;
    throw e;
  }
  try {
    if (!create) await f.truncate(0);
    await f.write(text, 0);
  } finally {
    await f.close();
  }
  return true;
}

/**
 * The hosts and resolv.conf files of one run's cells. `refreshSpace` calls that overlap are
 * coalesced: a call waits for a rewrite that starts after it, so the last attach of a burst is
 * always in the files, and a burst of N attaches costs a few rewrites, not N.
 */
export class CellDnsFiles {
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<void>>();

  constructor(
    private readonly runPath: string,
    /** Every recorded attachment, by CNI container id (the network executor's listing). */
    private readonly listAttachments: () => Promise<Record<string, ActualAttachment>>,
    private readonly hostResolvConf = "/etc/resolv.conf",
  ) {}

  /** Creates the cell's files if missing (before its first container is created), with the names known now. */
  async ensure(cell: CellAddress): Promise<{ hosts: string; resolvConf: string }> {
    const files = cellFilesOf(this.runPath, cell);
    const present = await Promise.all([files.hosts, files.resolvConf].map((p) => exists(p)));
    if (present.every(Boolean)) return files;
    await this.writeCell(cell, await this.peers(cell.realm, cell.space), true);
    return files;
  }

  /** Rewrites the files of every attached cell of the space. */
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

  /** Removes the cell's files (after it left the network); absent is fine. */
  async remove(cell: CellAddress): Promise<void> {
    const dir = cellFilesDirOf(this.runPath, cell);
    await rm(dir, { recursive: true, force: true });
    await removeEmptyParents(dir, cellFilesRoot(this.runPath));
  }

  private async rewrite(realm: string, space: string): Promise<void> {
    const peers = await this.peers(realm, space);
    await Promise.all(peers.map((p) => this.writeCell(p.cell, peers, false)));
  }

  /** Writes both files of the cell; `create` as in `writeInPlace`. */
  private async writeCell(cell: CellAddress, peers: CellPeer[], create: boolean): Promise<void> {
    const files = cellFilesOf(this.runPath, cell);
    const host = await readFile(this.hostResolvConf, "utf8").catch(() => "");
    if (await writeInPlace(files.hosts, hostsFileText(cell, peers), create)) {
      await writeInPlace(files.resolvConf, resolvConfText(host), create);
    }
  }

  private async peers(realm: string, space: string): Promise<CellPeer[]> {
    const network = networkName(realm, space);
    const out: CellPeer[] = [];
    for (const a of Object.values(await this.listAttachments())) {
      if (a.network !== network || a.cell === undefined) continue;
      const addr = parseAddress(a.cell);
      if (addr.kind === "cell")
        out.push({ cell: cellAddress(addr.realm, addr.space, addr.stack, addr.cell), ip: a.ip });
    }
    return out;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return false;
    throw e;
  }
}
