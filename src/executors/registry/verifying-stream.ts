import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import type { KukeError } from "../../model/errors.js";

/** Progress of one blob download, for a terminal progress display. */
export interface PullProgress {
  digest: string;
  /** Bytes received so far. */
  bytes: number;
  /** The blob's size from its descriptor. */
  total: number;
}

/**
 * A pass-through that hashes and counts what flows through it and fails the stream as soon as the
 * blob is longer than its descriptor says, or at the end when it is shorter or hashes to another
 * digest. Consumers therefore never see a complete stream of wrong content.
 */
export function verifyingStream(opts: {
  digest: string;
  size: number;
  onProgress?: ((e: PullProgress) => void) | undefined;
  /** Builds the error for a wrong size (`got` is a description such as `more than 12`). */
  sizeError: (got: string) => KukeError;
  digestError: (actual: string) => KukeError;
}): Transform {
  const hash = createHash("sha256");
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      bytes += chunk.length;
      if (bytes > opts.size) {
        done(opts.sizeError(`more than ${opts.size} bytes`));
        return;
      }
      hash.update(chunk);
      opts.onProgress?.({ digest: opts.digest, bytes, total: opts.size });
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      if (bytes !== opts.size) {
        done(opts.sizeError(`${bytes} bytes`));
        return;
      }
      const actual = `sha256:${hash.digest("hex")}`;
      done(actual === opts.digest ? null : opts.digestError(actual));
    },
  });
}
