import { join } from "node:path";
import { writeFileAtomic } from "../../fs/atomic-file.js";
import { readOptional } from "../../fs/small-file.js";
import { KukeError } from "../../model/errors.js";
import { withFileLock } from "./file-lock.js";

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

  constructor(options: SubnetAllocatorOptions) {
    this.pool = options.pool ?? "10.88.0.0/16";
    parseCidr(this.pool, 24);
    this.file = join(options.dir, "subnets.json");
    this.lock = join(options.dir, "subnets.lock");
  }

  /**
   * The space's record, allocating the lowest free /24 on first use. Throws `already-exists` when
   * another space's record uses the same bridge name (a hash collision), `unavailable` when the pool is full.
   */
  allocate(realm: string, space: string, bridge: string): Promise<SubnetRecord> {
    return withFileLock(this.lock, async () => {
      const data = await this.load();
      const mine = data.spaces.find((r) => r.realm === realm && r.space === space);
      if (mine) return mine;
      const clash = data.spaces.find((r) => r.bridge === bridge);
      if (clash) {
        throw new KukeError("already-exists", `bridge ${bridge} of space ${realm}/${space} is taken`, {
          detail: `space ${clash.realm}/${clash.space} hashes to the same bridge name`,
          remedy: "rename one of the two spaces",
        });
      }
      const used = new Set(data.spaces.map((r) => r.subnet));
      const [base, prefix] = parseCidr(this.pool, 24);
      const count = 2 ** (24 - prefix);
      for (let i = 0; i < count; i++) {
        const net = base + i * 256;
        const subnet = `${formatIp(net)}/24`;
        if (used.has(subnet)) continue;
        const record: SubnetRecord = { realm, space, subnet, gateway: formatIp(net + 1), bridge };
        data.spaces.push(record);
        await this.save(data);
        return record;
      }
      throw new KukeError("unavailable", `subnet pool ${this.pool} is exhausted`, {
        remedy: "remove unused spaces or configure a larger pool",
      });
    });
  }

  /** The space's record, or undefined. Reads without the lock: the file is replaced atomically. */
  async get(realm: string, space: string): Promise<SubnetRecord | undefined> {
    return (await this.load()).spaces.find((r) => r.realm === realm && r.space === space);
  }

  /** Every record. */
  async list(): Promise<SubnetRecord[]> {
    return (await this.load()).spaces;
  }

  /** Forgets the space's subnet; releasing an unknown space is success. */
  release(realm: string, space: string): Promise<void> {
    return withFileLock(this.lock, async () => {
      const data = await this.load();
      const left = data.spaces.filter((r) => !(r.realm === realm && r.space === space));
      if (left.length !== data.spaces.length) await this.save({ ...data, spaces: left });
    });
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

/** `a.b.c.d/p` → [network as uint32, prefix]; the prefix must be at most `maxPrefix`. */
export function parseCidr(cidr: string, maxPrefix = 32): [number, number] {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || prefix < 0 || prefix > maxPrefix) {
    throw new KukeError("invalid-spec", `invalid IPv4 pool ${cidr}`, {
      detail: `expected a.b.c.d/p with p ≤ ${maxPrefix}`,
    });
  }
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return [ip - (ip % size), prefix];
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}
