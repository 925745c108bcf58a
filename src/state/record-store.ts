import { readdirSync, readFileSync } from "node:fs";
import { readdir, rm, rmdir, unlink } from "node:fs/promises";
import { basename, dirname, join, sep } from "node:path";
import { isTempName, removeAbandonedTemp, writeFileAtomic } from "../fs/atomic-file.js";
import { errnoOf, fsError } from "../fs/fs-errors.js";
import { readText } from "../fs/small-file.js";
import {
  type Address,
  addressPath,
  formatAddress,
  KINDS,
  type ResourceKind,
  tryParseAddress,
} from "../model/address.js";
import { KukeError } from "../model/errors.js";
import { isValidName } from "../model/names.js";
import type { ResourceRecord } from "../model/records.js";
import type { RunPathLayout } from "./run-path.js";

/**
 * What the store keeps per resource: the planner's `ResourceRecord` (the applied view, its hash,
 * the owning project and host-assigned `extra`) plus when it was written. The record's shape is
 * the planner's, so refresh hands records to the planner unchanged.
 */
export interface StoredRecord extends ResourceRecord {
  /** ISO 8601 time of the apply that wrote this record. */
  appliedAt: string;
}

/** A record file that could not be read back; `error` names the file and says what is wrong. */
export interface CorruptRecord {
  file: string;
  error: KukeError;
}

export interface LoadedRecords {
  /** Good records, ordered by address. */
  records: StoredRecord[];
  /** Files that are present but unusable; a purge can still proceed without them. */
  corrupt: CorruptRecord[];
}

/**
 * kuke's records in `<run path>/records/<kind>/<realm>/…/<name>.json`, one file per address.
 * Names are valid DNS labels, so each is a safe path segment. Writers are expected to hold the
 * run-path lock; readers need not, since every write is atomic.
 */
export class RecordStore {
  constructor(private readonly layout: RunPathLayout) {}

  /** The file that holds `address`'s record. */
  pathOf(address: Address): string {
    const names = addressPath(address);
    // Addresses from parseAddress are validated already; this guards hand-built ones, since a
    // name like ".." would otherwise escape the records folder.
    const bad = names.find((n) => !isValidName(n));
    if (bad !== undefined) throw new TypeError(`invalid name '${bad}' in ${address.kind} address`);
    return `${join(this.layout.records, address.kind, ...names)}.json`;
  }

  /**
   * The record of `address`, or undefined when none was written.
   * @throws KukeError `failed-precondition` naming the file when it is corrupt.
   */
  async get(address: Address): Promise<StoredRecord | undefined> {
    const file = this.pathOf(address);
    let text: string;
    try {
      text = await readText(file);
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return undefined;
      throw fsError(e, "read record", file);
    }
    const parsed = parseRecord(text, file, formatAddress(address));
    if (parsed instanceof KukeError) throw parsed;
    return parsed;
  }

  /** Writes (or replaces) the record of `record.address` atomically. */
  async put(record: StoredRecord): Promise<void> {
    const parsed = tryParseAddress(record.address);
    if (!parsed.ok) throw new TypeError(`record has invalid address '${record.address}': ${parsed.problem}`);
    if (parsed.address.kind !== record.kind) {
      throw new TypeError(`record kind '${record.kind}' does not match address '${record.address}'`);
    }
    await writeFileAtomic(this.pathOf(parsed.address), `${JSON.stringify(record, null, 2)}\n`);
  }

  /**
   * Removes the record of `address`, and folders left empty by it.
   * @returns false when there was no record.
   */
  async delete(address: Address): Promise<boolean> {
    const file = this.pathOf(address);
    try {
      await unlink(file);
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return false;
      throw fsError(e, "delete record", file);
    }
    const stop = join(this.layout.records, address.kind);
    for (let dir = dirname(file); dir.startsWith(stop + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break; // not empty (or already gone): the parents are then not empty either
      }
    }
    return true;
  }

  /**
   * The record files of `address` and of everything inside it, good or corrupt (`kuke purge`
   * counts what it will forget): `<kind>/<names…>.json` and the `<kind>/<names…>/` folders of
   * every deeper kind.
   */
  async filesUnder(address: Address): Promise<string[]> {
    const own = this.pathOf(address);
    const out = (await readdir(dirname(own)).catch(() => [] as string[])).includes(basename(own)) ? [own] : [];
    for (const dir of this.foldersUnder(address)) {
      const files = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
      out.push(...files.filter((f) => f.endsWith(".json")).map((f) => join(dir, f)));
    }
    return out.sort();
  }

  /**
   * Removes every record file of `address` and of everything inside it, good or corrupt, by path
   * (a corrupt file cannot be read back to find its address), then folders left empty.
   */
  async deleteUnder(address: Address): Promise<void> {
    await this.delete(address);
    for (const dir of this.foldersUnder(address)) await rm(dir, { recursive: true, force: true });
  }

  private foldersUnder(address: Address): string[] {
    const names = addressPath(address);
    this.pathOf(address); // validates the names
    return KINDS.slice(KINDS.indexOf(address.kind) + 1).map((kind) => join(this.layout.records, kind, ...names));
  }

  /**
   * Every record. Corrupt files are returned beside the good records instead of failing the load;
   * temporary files of crashed writers are skipped and, if their writer is gone, deleted.
   *
   * Listed and read synchronously: a record is a few hundred bytes, and each asynchronous read is
   * four trips through libuv's thread pool (open, stat, read, close). For 200 records that took
   * three times as long as reading them in one go (issue 13: the no-op plan), and refresh starts
   * its containerd calls before this, so they proceed meanwhile.
   */
  async loadAll(): Promise<LoadedRecords> {
    let entries: string[];
    try {
      entries = readdirSync(this.layout.records, { recursive: true, encoding: "utf8" });
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return { records: [], corrupt: [] };
      throw fsError(e, "list records in", this.layout.records);
    }
    const files: string[] = [];
    const temps: string[] = [];
    for (const rel of entries) {
      const name = basename(rel);
      if (isTempName(name)) temps.push(rel);
      else if (name.endsWith(".json")) files.push(rel);
    }
    await Promise.all(temps.map((rel) => removeAbandonedTemp(dirname(join(this.layout.records, rel)), basename(rel))));

    const records: StoredRecord[] = [];
    const corrupt: CorruptRecord[] = [];
    for (const rel of files) {
      const file = join(this.layout.records, rel);
      const expected = addressFromRelativePath(rel);
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        if (errnoOf(e) === "ENOENT") continue; // deleted while we listed
        corrupt.push({ file, error: fsError(e, "read record", file) });
        continue;
      }
      const parsed =
        expected === undefined
          ? corruptRecord(file, "the file is not where any address's record would be")
          : parseRecord(text, file, expected);
      if (parsed instanceof KukeError) corrupt.push({ file, error: parsed });
      else records.push(parsed);
    }
    records.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    corrupt.sort((a, b) => (a.file < b.file ? -1 : 1));
    return { records, corrupt };
  }

  /** The records applied by `project` (plus every corrupt file, whose project cannot be known). */
  async listByProject(project: string): Promise<LoadedRecords> {
    const all = await this.loadAll();
    return { records: all.records.filter((r) => r.project === project), corrupt: all.corrupt };
  }
}

/** `container/r/s/t/c/k.json` → `container/r/s/t/c/k`, or undefined when that is no address. */
function addressFromRelativePath(rel: string): string | undefined {
  const text = rel.slice(0, -".json".length).split(sep).join("/");
  const parsed = tryParseAddress(text);
  return parsed.ok ? formatAddress(parsed.address) : undefined;
}

function corruptRecord(file: string, problem: string): KukeError {
  return new KukeError("failed-precondition", `corrupt record ${file}: ${problem}`, {
    detail: "kuke cannot tell what was applied for this resource from this file",
    remedy: `inspect the file; if the resource is gone, delete it (rm ${file}) and run kuke refresh`,
  });
}

/** Parses and checks one record file; returns the problem as a KukeError rather than throwing. */
function parseRecord(text: string, file: string, expectedAddress: string): StoredRecord | KukeError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return corruptRecord(file, "not valid JSON (truncated or edited by hand?)");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return corruptRecord(file, "not a JSON object");
  }
  const r = value as Record<string, unknown>;
  if (r.address !== expectedAddress) {
    return corruptRecord(file, `its address '${String(r.address)}' does not match its location (${expectedAddress})`);
  }
  const kind = expectedAddress.split("/")[0] as ResourceKind;
  if (r.kind !== kind || !KINDS.includes(kind))
    return corruptRecord(file, `kind '${String(r.kind)}' should be '${kind}'`);
  for (const key of ["project", "specHash", "appliedAt"] as const) {
    if (typeof r[key] !== "string") return corruptRecord(file, `'${key}' is missing or not a string`);
  }
  const view = r.view as Record<string, unknown> | null | undefined;
  if (!isObject(view) || !isObject(view.spec) || !isObject(view.labels)) {
    return corruptRecord(file, "'view' is missing or has no 'spec' and 'labels' objects");
  }
  if (!isObject(r.extra)) {
    return corruptRecord(file, "'extra' is missing or not an object");
  }
  return r as unknown as StoredRecord;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
