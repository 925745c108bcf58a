import { open } from "node:fs/promises";
import { errnoOf } from "../fs/fs-errors.js";
import { KukeError } from "../model/index.js";
import { MAX_FILE_BYTES } from "./limits.js";
import type { ManifestSource } from "./load.js";

/** The name standard input is shown as in diagnostics. */
export const STDIN_NAME = "<stdin>";

/**
 * Reads manifest files (`-` is standard input, at most once) as UTF-8 text. Paths are shown as the
 * user wrote them. A file that cannot be read is a user error, reported before any validation.
 * Pipes and process substitutions (`-f <(…)`) are files too; whatever the source, at most one byte
 * more than `MAX_FILE_BYTES` is read, so an endless one (`/dev/zero`) ends as a "too large"
 * diagnostic from the loader instead of filling memory.
 */
export async function readManifestSources(
  paths: readonly string[],
  stdin: NodeJS.ReadableStream,
): Promise<ManifestSource[]> {
  if (paths.filter((p) => p === "-").length > 1) {
    throw new KukeError("usage", "standard input (-) can be given only once");
  }
  const out: ManifestSource[] = [];
  for (const path of paths) {
    if (path === "-") {
      out.push({ file: STDIN_NAME, text: await readCapped(stdin) });
      continue;
    }
    try {
      out.push({ file: path, text: await readFileCapped(path) });
    } catch (e) {
      const code = errnoOf(e);
      const why =
        code === "ENOENT"
          ? "no such file"
          : code === "EISDIR"
            ? "is a directory"
            : code === "EACCES"
              ? "permission denied"
              : `cannot read (${code ?? "unknown error"})`;
      throw new KukeError(code === "ENOENT" ? "not-found" : "runtime", `${path}: ${why}`, {
        remedy: "pass the path of a manifest file with -f, or - for standard input",
        cause: e,
      });
    }
  }
  return out;
}

const LIMIT = MAX_FILE_BYTES + 1;

async function readFileCapped(path: string): Promise<string> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(Math.min(LIMIT, 64 * 1024));
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < LIMIT) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, LIMIT - total), null);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
      total += bytesRead;
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    await fh.close();
  }
}

async function readCapped(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(b.subarray(0, LIMIT - total));
    total += Math.min(b.length, LIMIT - total);
    if (total >= LIMIT) break;
  }
  return Buffer.concat(chunks).toString("utf8");
}
