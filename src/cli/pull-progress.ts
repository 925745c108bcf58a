/**
 * `kuke image pull` and `kuke image load` on a terminal: one line for the image, rewritten in place
 * (at most every 100 ms) as blobs arrive (from the registry, or from the archive into containerd), with the total and each layer's bytes, as compose shows a pull:
 * `busybox:latest  1.2/2.3 MB  [a1b2c3d4 done] [e5f6a7b8 0.4/1.1 MB]`.
 */
import type { PullProgress } from "../executors/registry/verifying-stream.js";
import type { OutputStream } from "./output-style.js";

/** The line for `ref` and the blobs seen so far, cut to `columns`. */
export function pullLine(ref: string, blobs: readonly PullProgress[], columns: number): string {
  let bytes = 0;
  let total = 0;
  for (const b of blobs) {
    bytes += b.bytes;
    total += b.total;
  }
  const layers = blobs.map((b) => {
    const id = b.digest.replace(/^sha256:/, "").slice(0, 8);
    return b.bytes >= b.total ? `[${id} done]` : `[${id} ${mb(b.bytes)}/${mb(b.total)} MB]`;
  });
  const line = `${ref}  ${mb(bytes)}/${mb(total)} MB  ${layers.join(" ")}`.trimEnd();
  return line.length > columns ? `${line.slice(0, Math.max(0, columns - 1))}…` : line;
}

export class PullProgressLine {
  private readonly blobs = new Map<string, PullProgress>();
  private last = 0;
  private shown = false;

  constructor(
    private readonly out: OutputStream,
    private readonly ref: string,
    private readonly now: () => number = Date.now,
  ) {}

  update(p: PullProgress): void {
    this.blobs.set(p.digest, p);
    const t = this.now();
    if (t - this.last < 100 && p.bytes < p.total) return;
    this.last = t;
    this.draw();
  }

  /**
   * Draws the final state and ends the line. After a pull that succeeded every blob is in
   * containerd, including those it already had (their download stops as soon as containerd says
   * so), so all show as done.
   */
  end(succeeded = false): void {
    if (!this.shown) return;
    if (succeeded) for (const [k, b] of this.blobs) this.blobs.set(k, { ...b, bytes: b.total });
    this.draw();
    this.out.write("\n");
  }

  private draw(): void {
    const columns = (this.out as { columns?: number }).columns ?? 100;
    this.out.write(`\r\x1b[K${pullLine(this.ref, [...this.blobs.values()], columns)}`);
    this.shown = true;
  }
}

function mb(n: number): string {
  return (n / 1_000_000).toFixed(1);
}
