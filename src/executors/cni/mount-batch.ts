import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
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
 * an fstab of the batch, written to a temporary file in `scratchDir` (libmount does not parse an
 * fstab from a pipe) and removed after. Each target is then checked (`mount -a` exits non-zero
 * when any entry failed, without saying which); one that does not hold its namespace gets its own
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
  const file = join(scratchDir, `.pins-${process.pid}-${randomBytes(4).toString("hex")}.fstab`);
  writeFileSync(file, fstab, { mode: 0o600 });
  try {
    await runCommand("mount", ["-a", "--fstab", file]);
  } finally {
    rmSync(file, { force: true });
  }
  return Promise.all(items.map(async (b) => ((await holds(b.target, b.want)) ? undefined : one(b))));
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
