import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readMountInfo, readMountInfoSync } from "../../fs/mountinfo.js";
import { removeFile } from "../../fs/small-file.js";
import type { CellAddress } from "../../model/address.js";
import { KukeError } from "../../model/errors.js";
import { netnsName } from "../../model/host-names.js";
import { Batcher, bindNamespaces, type NamespaceBind, unmountAll } from "./mount-batch.js";

/**
 * Keeps a cell's network namespace alive independently of its root process by bind-mounting
 * `/proc/PID/ns/net` at `<runtimeDir>/netns/<realm>_<space>_<stack>_<cell>`, so CNI DEL still
 * finds the namespace after the process died.
 */
export class NetnsPinner {
  readonly dir: string;
  /** Pins and unpins asked for while a `mount`/`umount` runs go together into the next one. */
  private readonly binds = new Batcher<NamespaceBind>((items) => bindNamespaces(items, this.dir));
  private readonly unmounts = new Batcher<string>(async (targets) => unmountAll(targets, await nsfsDev()));

  /** @param runtimeDir kuke's runtime directory. @default "/run/kuke" */
  constructor(runtimeDir = "/run/kuke") {
    this.dir = join(runtimeDir, "netns");
  }

  /** Where the cell's namespace is (or would be) pinned. */
  pathOf(cell: CellAddress): string {
    return join(this.dir, netnsName(cell));
  }

  /**
   * Pins the network namespace of process `pid` for the cell and returns the pin path. Pinning the
   * same namespace again is a no-op; a pin of a different namespace is `already-exists` (unpin first).
   * A process that is gone is `not-found`.
   */
  async pin(cell: CellAddress, pid: number): Promise<string> {
    const source = `/proc/${pid}/ns/net`;
    const target = this.pathOf(cell);
    let want: { dev: number; ino: number };
    try {
      want = await stat(source);
    } catch (e) {
      throw new KukeError("not-found", `process ${pid} is gone; cannot pin its network namespace`, { cause: e });
    }
    if (await this.isPinned(cell)) {
      const have = await stat(target);
      if (have.dev === want.dev && have.ino === want.ino) return target;
      throw new KukeError("already-exists", `${target} pins another network namespace`, {
        remedy: "detach and unpin the cell's old namespace first",
      });
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // The mount point must exist as a file before a namespace file can be bound onto it. It is
    // empty, so it is made in place: an atomic write's temporary sibling would add ~22 characters
    // to a name that is already up to 255 (NAME_MAX) for four 63-character names.
    await writeFile(target, "", { flag: "a", mode: 0o600 });
    try {
      await this.binds.run({ source, target, want: { dev: want.dev, ino: want.ino } });
    } catch (e) {
      await removeFile(target);
      throw e;
    }
    return target;
  }

  /** Unmounts and removes the pin; an unpinned cell is success. */
  async unpin(cell: CellAddress): Promise<void> {
    const target = this.pathOf(cell);
    // A namespace can be bound more than once (a crash between two pins); unmount every layer.
    while (await this.isPinned(cell)) await this.unmounts.run(target);
    await removeFile(target);
  }

  /**
   * Removes pin files whose name starts with `prefix` (`<realm>_<space>_`: names hold no `_`, so
   * the prefix is one space's cells exactly) and that have no namespace mounted on them.
   */
  async removeUnmounted(prefix: string): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const mounted = await mountedPaths();
    for (const n of names) {
      const p = join(this.dir, n);
      if (n.startsWith(prefix) && !mounted.has(p)) await removeFile(p);
    }
  }

  /**
   * True when a namespace is mounted at the cell's pin path: the path then is a file of nsfs, the
   * kernel's namespace file system, which one stat tells (the mount table of a host with many
   * containers is hundreds of lines, read and parsed on every check otherwise).
   */
  async isPinned(cell: CellAddress): Promise<boolean> {
    const [pin, ns] = await Promise.all([stat(this.pathOf(cell)).catch(() => undefined), nsfsDev()]);
    return pin !== undefined && pin.dev === ns;
  }

  /**
   * The `netnsName()`s with a namespace mounted at their pin path, sorted: one read of the mount
   * table, synchronous (refresh asks this beside its synchronous reads of records and cgroups).
   */
  async pinnedNames(): Promise<string[]> {
    const dir = `${this.dir}/`;
    const names: string[] = [];
    for (const m of readMountInfoSync()) if (m.mountPoint.startsWith(dir)) names.push(m.mountPoint.slice(dir.length));
    return [...new Set(names)].sort();
  }

  /** Every pin path under the netns directory that is mounted or left as a file (for leak checks). */
  async list(): Promise<string[]> {
    const mounted = [...(await mountedPaths())].filter((p) => p.startsWith(`${this.dir}/`));
    const files = await readdir(this.dir).then(
      (names) => names.map((n) => join(this.dir, n)),
      () => [] as string[],
    );
    return [...new Set([...mounted, ...files])].sort();
  }
}

/** The device number of nsfs, which every namespace file (`/proc/PID/ns/*`, and a bind mount of one) has. */
let nsfsDevice: Promise<number> | undefined;
function nsfsDev(): Promise<number> {
  nsfsDevice ??= stat("/proc/self/ns/net").then((s) => s.dev);
  return nsfsDevice;
}

/** Mount points in this process's mount namespace. */
async function mountedPaths(): Promise<Set<string>> {
  return new Set((await readMountInfo()).map((m) => m.mountPoint));
}
