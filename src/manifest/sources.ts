import { readFile } from "node:fs/promises";
import { errnoOf } from "../fs/fs-errors.js";
import { KukeError } from "../model/index.js";
import type { ManifestSource } from "./load.js";

/** The name standard input is shown as in diagnostics. */
export const STDIN_NAME = "<stdin>";

/**
 * Reads manifest files (`-` is standard input, at most once) as UTF-8 text. Paths are shown as the
 * user wrote them. A file that cannot be read is a user error, reported before any validation.
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
      out.push({ file: STDIN_NAME, text: await readAll(stdin) });
      continue;
    }
    try {
      out.push({ file: path, text: await readFile(path, "utf8") });
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

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
