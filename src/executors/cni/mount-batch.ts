import { randomBytes } from "node:crypto";
import { closeSync, constants, openSync, unlinkSync, writeSync } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { KukeError } from "../../model/errors.js";
import { mustRun, runCommand } from "./host-command.js";

/**
 * Runs requests in batches: the first runs at once, and those made while a batch runs go together
 * into the next one. A lone request waits for nothing; a burst of N (an apply pins and a destroy
 * unpins up to `parallelism` cells at once) costs a few processes, not N. Forking node, with its
 * large address space, is most of a `mount` run's cost on kuke's side.
 */
export class Batcher<T> {
  private waiting: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private busy = false;

  /** @param runBatch runs the items and returns each one's error (undefined: it succeeded), in order. */
  constructor(private readonly runBatch: (items: T[]) => Promise<(unknown | undefined)[]>) {}

  run(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.busy || this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    this.busy = true;
    this.runBatch(batch.map((b) => b.item))
      .then(
        (errors) =>
          batch.forEach((b, i) => {
            const e = errors[i];
            if (e === undefined) b.resolve();
            else b.reject(e);
          }),
        (e: unknown) => {
          for (const b of batch) b.reject(e);
        },
      )
      .finally(() => {
        this.busy = false;
        this.next();
      });
  }
}

/** A bind mount of a namespace file: `target` must exist; `want` is `source`'s device and inode. */
export interface NamespaceBind {
  source: string;
  target: string;
  want: { dev: number; ino: number };
}

/**
 * Bind-mounts each `source` on its `target`: one `mount --bind` for one, else one `mount -a` over
 * an fstab of the batch. libmount does not parse an fstab from a pipe, so the fstab is a file with
 * no name (see `anonymousFile`) that `mount` reads as its `/dev/fd/3`: a kuke killed at any point
 * leaves no file behind. Each target is then checked (`mount -a` exits non-zero when any entry
 * failed, without saying which); one that does not hold its namespace gets its own
 * `mount --bind`, whose error is that item's.
 */
export async function bindNamespaces(items: NamespaceBind[], scratchDir: string): Promise<(unknown | undefined)[]> {
  const one = (b: NamespaceBind) =>
    mustRun("mount", ["--bind", b.source, b.target]).then(
      () => undefined,
      (e: unknown) => e,
    );
  if (items.length === 1) return [await one(items[0] as NamespaceBind)];
  const fstab = items.map((b) => `${fstabField(b.source)} ${fstabField(b.target)} none bind 0 0\n`).join("");
  const fd = anonymousFile(scratchDir, fstab);
  try {
    await runCommand("mount", ["-a", "--fstab", "/dev/fd/3"], undefined, fd);
  } finally {
    closeSync(fd);
  }
  return Promise.all(items.map(async (b) => ((await holds(b.target, b.want)) ? undefined : one(b))));
}

/** open(2)'s O_TMPFILE on x86-64 and arm64 Linux (with O_DIRECTORY), which node does not name. */
const O_TMPFILE = 0o20200000;

/**
 * An open, readable file in `dir` holding `text` that has no name in any directory. O_TMPFILE
 * never gives it one; where the filesystem refuses O_TMPFILE, a file with a unique name is
 * unlinked right after it is opened, before anything else runs in this process.
 */
export function anonymousFile(dir: string, text: string): number {
  let fd: number;
  try {
    fd = openSync(dir, O_TMPFILE | constants.O_RDWR, 0o600);
  } catch {
    const path = join(dir, `.kuke-${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
    unlinkSync(path);
  }
  try {
    writeSync(fd, text, 0, "utf8");
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

/**
 * Unmounts each target once: one `umount` for the batch. When it fails, each target still mounted
 * with `dev` (nsfs) gets its own `umount`, whose error is that item's; the others succeeded.
 */
export async function unmountAll(targets: string[], nsfsDev: number): Promise<(unknown | undefined)[]> {
  const r = await runCommand("umount", targets);
  if (r.code === 0) return targets.map(() => undefined);
  if (targets.length === 1) {
    return [new KukeError("runtime", `umount ${targets[0]} failed (exit ${r.code})`, { detail: r.stderr })];
  }
  return Promise.all(
    targets.map(async (t) => {
      const s = await stat(t).catch(() => undefined);
      if (s === undefined || s.dev !== nsfsDev) return undefined;
      return mustRun("umount", [t]).then(
        () => undefined,
        (e: unknown) => e,
      );
    }),
  );
}

async function holds(target: string, want: { dev: number; ino: number }): Promise<boolean> {
  const s = await stat(target).catch(() => undefined);
  return s !== undefined && s.dev === want.dev && s.ino === want.ino;
}

/** A path as one fstab field: whitespace and backslashes as the octal escapes fstab(5) reads. */
export function fstabField(path: string): string {
  return path.replace(/[\\\s]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}
