import { readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../fs/atomic-file.js";
import { errnoOf } from "../../fs/fs-errors.js";
import { readOptional } from "../../fs/small-file.js";
import { KukeError } from "../../model/errors.js";
import { withFileLock } from "./file-lock.js";
import { type HostNetwork, overlaps, readHostNetworks } from "./host-networks.js";
import { formatIp, parseCidr } from "./ipv4.js";

export { formatIp, parseCidr } from "./ipv4.js";

/** A space's network allocation, as persisted. */
export interface SubnetRecord {
  realm: string;
  space: string;
  /** e.g. `10.88.3.0/24` */
  subnet: string;
  /** e.g. `10.88.3.1` */
  gateway: string;
  bridge: string;
}

interface AllocationFile {
  version: 1;
  pool: string;
  spaces: SubnetRecord[];
}

export interface SubnetAllocatorOptions {
  /** Directory holding `subnets.json` and its lock file (inside kuke's run path). */
  dir: string;
  /** IPv4 pool carved into /24s, one per space. @default "10.88.0.0/16" */
  pool?: string;
  /**
   * The networks the host already uses; a /24 overlapping one is never handed out.
   * @default readHostNetworks (the host's addresses and routes, read with `ip -j`)
   */
  hostNetworks?: () => Promise<HostNetwork[]>;
  /**
   * The host-wide directory where every kuke run path reserves the /24s it hands out, under one
   * host-wide lock, so two run paths allocating at once never pick the same /24 (their bridges,
   * which the host check sees, come only later).
   * @default HOST_SUBNET_DIR
   */
  hostDir?: string;
}

/** Host-wide subnet reservations of every kuke run path: a tmpfs, cleared at boot like the bridges. */
export const HOST_SUBNET_DIR = "/run/lock/kuke/subnets";

/** One /24 a run path handed out, as reserved host-wide (`<hostDir>/<a.b.c.d>_24.json`). */
interface Reservation {
  /** The owning run path's `subnets.json`: the reservation is live while that file lists it. */
  owner: string;
  realm: string;
  space: string;
  subnet: string;
}

/** How much of the pool is left, and why the rest is not (for plan errors and their counts). */
export interface SubnetCapacity {
  pool: string;
  /** /24s in the pool. */
  size: number;
  /** /24s recorded for kuke's spaces in this run path. */
  allocated: number;
  /**
   * Other /24s the host uses, each with what uses it (`10.88.0.0/24: address 10.88.0.1/24 on eth1`),
   * other kuke run paths' reservations included.
   */
  hostOverlaps: string[];
  /** /24s that can still be handed out. */
  free: number;
}

/**
 * Hands each space one /24 from a pool, persisted in the run path. Every read-modify-write holds a
 * lock file, so concurrent kuke processes never hand out the same subnet; allocation is idempotent
 * per space and a released subnet can be handed out again.
 */
export class SubnetAllocator {
  readonly pool: string;
  private readonly file: string;
  private readonly lock: string;
  private readonly hostNetworks: () => Promise<HostNetwork[]>;
  private readonly hostDir: string;
  private readonly hostLock: string;

  constructor(options: SubnetAllocatorOptions) {
    this.pool = options.pool ?? "10.88.0.0/16";
    this.hostNetworks = options.hostNetworks ?? readHostNetworks;
    parseCidr(this.pool, 24);
    this.file = join(options.dir, "subnets.json");
    this.lock = join(options.dir, "subnets.lock");
    this.hostDir = options.hostDir ?? HOST_SUBNET_DIR;
    this.hostLock = join(this.hostDir, "lock");
  }

  /**
   * The space's record, allocating the lowest free /24 on first use: one no other space of this
   * run path has, no other run path has reserved, and no address or route of the host overlaps
   * (another run path's bridges included). The run path's lock, then the host-wide one, are held
   * while choosing, reserving and recording. Throws `already-exists` when another space's record
   * uses the same bridge name (a hash collision), `unavailable` with the counts when the pool has
   * no free /24.
   */
  allocate(realm: string, space: string, bridge: string): Promise<SubnetRecord> {
    return withFileLock(this.lock, () => withFileLock(this.hostLock, () => this.allocateLocked(realm, space, bridge)));
  }

  private async allocateLocked(realm: string, space: string, bridge: string): Promise<SubnetRecord> {
    const data = await this.load();
    const mine = data.spaces.find((r) => r.realm === realm && r.space === space);
    // Recorded before reservations existed (or the host was rebooted): reserve it again.
    if (mine) {
      await this.reserve(mine);
      return mine;
    }
    const clash = data.spaces.find((r) => r.bridge === bridge);
    if (clash) {
      throw new KukeError("already-exists", `bridge ${bridge} of space ${realm}/${space} is taken`, {
        detail: `space ${clash.realm}/${clash.space} hashes to the same bridge name`,
        remedy: "rename one of the two spaces",
      });
    }
    const reserved = await this.foreignReservations(true);
    const { free, capacity } = this.survey(data, await this.hostNetworks(), reserved);
    const subnet = free[0];
    if (subnet === undefined) throw poolExhausted(capacity);
    const [net] = parseCidr(subnet);
    const record: SubnetRecord = { realm, space, subnet, gateway: formatIp(net + 1), bridge };
    // Reserved host-wide first: a crash before the record is saved leaves a reservation its
    // owner does not list, which the next allocation anywhere finds stale and removes.
    await this.reserve(record);
    data.spaces.push(record);
    await this.save(data);
    return record;
  }

  /** What is left of the pool now (reads the records, the host and other run paths' reservations; changes nothing). */
  async capacity(): Promise<SubnetCapacity> {
    return this.survey(await this.load(), await this.hostNetworks(), await this.foreignReservations(false)).capacity;
  }

  private reservationPath(subnet: string): string {
    return join(this.hostDir, `${subnet.replace("/", "_")}.json`);
  }

  /** Reserves the record's /24 host-wide, unless it is already ours, or live for another run path. */
  private async reserve(r: SubnetRecord): Promise<void> {
    const held = parseReservation(await readOptional(this.reservationPath(r.subnet)));
    if (held !== undefined && (held.owner === this.file || (await ownerLists(held)))) return;
    const reservation: Reservation = { owner: this.file, realm: r.realm, space: r.space, subnet: r.subnet };
    await writeFileAtomic(this.reservationPath(r.subnet), `${JSON.stringify(reservation)}\n`);
  }

  /**
   * Other run paths' live reservations, as host networks the survey skips. A reservation whose
   * owner no longer lists it (released, crashed before recording, run path removed) is stale; with
   * `prune` (under the host lock) it is removed.
   */
  private async foreignReservations(prune: boolean): Promise<HostNetwork[]> {
    let names: string[];
    try {
      names = await readdir(this.hostDir);
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return [];
      throw e;
    }
    const out: HostNetwork[] = [];
    for (const name of names.filter((n) => n.endsWith(".json"))) {
      const path = join(this.hostDir, name);
      const r = parseReservation(await readOptional(path));
      if (r === undefined || r.owner === this.file) continue;
      if (await ownerLists(r)) {
        out.push({
          cidr: r.subnet,
          what: `reserved by the kuke run path of ${r.owner} for space ${r.realm}/${r.space}`,
        });
      } else if (prune) {
        await unlink(path).catch(() => undefined);
      }
    }
    return out;
  }

  private survey(
    data: AllocationFile,
    host: HostNetwork[],
    reserved: HostNetwork[],
  ): { free: string[]; capacity: SubnetCapacity } {
    const used = new Set(data.spaces.map((r) => r.subnet));
    const [base, prefix] = parseCidr(this.pool, 24);
    const size = 2 ** (24 - prefix);
    const relevant = [...reserved, ...host].filter((h) => overlaps(h.cidr, this.pool));
    const free: string[] = [];
    const hostOverlaps: string[] = [];
    for (let i = 0; i < size; i++) {
      const subnet = `${formatIp(base + i * 256)}/24`;
      if (used.has(subnet)) continue;
      const taken = relevant.find((h) => overlaps(h.cidr, subnet));
      if (taken) hostOverlaps.push(`${subnet}: ${taken.what}`);
      else free.push(subnet);
    }
    return {
      free,
      capacity: { pool: this.pool, size, allocated: used.size, hostOverlaps, free: free.length },
    };
  }

  /** The space's record, or undefined. Reads without the lock: the file is replaced atomically. */
  async get(realm: string, space: string): Promise<SubnetRecord | undefined> {
    return (await this.load()).spaces.find((r) => r.realm === realm && r.space === space);
  }

  /** Every record. */
  async list(): Promise<SubnetRecord[]> {
    return (await this.load()).spaces;
  }

  /** Forgets the space's subnet and its host-wide reservation; releasing an unknown space is success. */
  release(realm: string, space: string): Promise<void> {
    return withFileLock(this.lock, () =>
      withFileLock(this.hostLock, async () => {
        const data = await this.load();
        const gone = data.spaces.filter((r) => r.realm === realm && r.space === space);
        if (gone.length === 0) return;
        await this.save({ ...data, spaces: data.spaces.filter((r) => !gone.includes(r)) });
        for (const r of gone) {
          const path = this.reservationPath(r.subnet);
          if (parseReservation(await readOptional(path))?.owner === this.file)
            await unlink(path).catch(() => undefined);
        }
      }),
    );
  }

  private async load(): Promise<AllocationFile> {
    const text = await readOptional(this.file);
    if (text === undefined) return { version: 1, pool: this.pool, spaces: [] };
    const data = JSON.parse(text) as AllocationFile;
    if (data.pool !== this.pool && data.spaces.length > 0) {
      throw new KukeError("failed-precondition", `subnets were allocated from ${data.pool}, not ${this.pool}`, {
        remedy: "keep the pool of existing spaces, or remove them first",
      });
    }
    return data;
  }

  private save(data: AllocationFile): Promise<void> {
    return writeFileAtomic(this.file, `${JSON.stringify({ ...data, pool: this.pool }, null, 2)}\n`);
  }
}

function parseReservation(text: string | undefined): Reservation | undefined {
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as Partial<Reservation>;
    if (typeof r.owner !== "string" || typeof r.subnet !== "string") return undefined;
    return { owner: r.owner, realm: String(r.realm), space: String(r.space), subnet: r.subnet };
  } catch {
    return undefined; // a torn or foreign file reserves nothing
  }
}

/** True while the reservation's owner still records that space with that subnet. */
async function ownerLists(r: Reservation): Promise<boolean> {
  let text: string | undefined;
  try {
    text = await readOptional(r.owner);
  } catch {
    return true; // unreadable is not proof it is gone: keep it reserved
  }
  if (text === undefined) return false;
  try {
    const data = JSON.parse(text) as AllocationFile;
    return data.spaces.some((s) => s.realm === r.realm && s.space === r.space && s.subnet === r.subnet);
  } catch {
    return true;
  }
}

/** The error for a pool with no free /24, with the counts that explain it and what to do. */
export function poolExhausted(c: SubnetCapacity): KukeError {
  const shown = c.hostOverlaps.slice(0, 3).join("; ");
  const more = c.hostOverlaps.length > 3 ? `; and ${c.hostOverlaps.length - 3} more` : "";
  return new KukeError(
    "unavailable",
    `subnet pool ${c.pool} has no free /24: ${c.size} in the pool, ${c.allocated} allocated to kuke spaces, ${c.hostOverlaps.length} overlapping the host's addresses or routes`,
    {
      ...(c.hostOverlaps.length > 0 ? { detail: `in use on the host: ${shown}${more}` } : {}),
      remedy:
        "destroy spaces you no longer need (kuke destroy), remove the host addresses or routes that overlap the pool, or configure a pool with room (subnetPool)",
    },
  );
}
