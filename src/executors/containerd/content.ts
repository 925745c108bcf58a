import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { KukeError } from "../../model/errors.js";
import type { Descriptor } from "../oci/image-source.js";
import type { CallOptions, ContainerdClient } from "./client.js";
import { classifyGrpcError } from "./errors.js";

/** Writing and reading blobs in containerd's content store. */

/** Chunks stay far below the 16 MiB message limit. */
const CHUNK_BYTES = 1024 * 1024;

interface WriteRequest {
  action: "STAT" | "WRITE" | "COMMIT";
  ref: string;
  total?: number;
  expected?: string;
  offset?: number;
  data?: Buffer;
  labels?: Record<string, string>;
}
interface WriteResponse {
  action: string;
  offset: number;
  digest: string;
}

/**
 * Stores one blob. Returns `"written"` or `"present"` (already in the store: its labels are then
 * merged in with Content.Update). The stream is checked against `d.digest`/`d.size` by containerd on
 * commit; a failed ingest is aborted so it does not stay listed.
 */
export async function writeBlob(
  client: ContainerdClient,
  call: CallOptions,
  d: Descriptor,
  data: Readable | Buffer,
  labels: Record<string, string> = {},
): Promise<"written" | "present"> {
  const ref = `kuke-${d.digest.replace(":", "-")}-${randomBytes(4).toString("hex")}`;
  const stream = client.duplex<WriteRequest, WriteResponse>("content", "Write", call);
  const what = `containerd Content.Write ${d.digest}`;
  let answered = 0;
  let committed: WriteResponse | undefined;
  let failure: unknown;
  const done = new Promise<void>((resolve) => {
    stream.on("data", (r: WriteResponse) => {
      answered++;
      if (r.action === "COMMIT") committed = r;
    });
    stream.on("error", (e) => {
      failure = e;
      resolve();
    });
    stream.on("end", resolve);
  });
  const send = async (m: WriteRequest): Promise<void> => {
    if (failure) return;
    if (!stream.write(m)) await new Promise<void>((r) => stream.once("drain", r).once("error", () => r()));
  };

  try {
    // total + expected on the first message: containerd answers ALREADY_EXISTS before any data moves.
    await send({ action: "STAT", ref, total: d.size, expected: d.digest });
    let offset = 0;
    const chunks: AsyncIterable<Buffer> | Buffer[] = Buffer.isBuffer(data) ? [data] : (data as AsyncIterable<Buffer>);
    for await (const chunk of chunks) {
      for (let i = 0; i < chunk.length && !failure; i += CHUNK_BYTES) {
        const piece = chunk.subarray(i, i + CHUNK_BYTES);
        await send({ action: "WRITE", ref, offset, data: piece });
        offset += piece.length;
      }
      if (failure) break;
    }
    await send({ action: "COMMIT", ref, total: d.size, expected: d.digest, offset, labels });
    stream.end();
  } catch (e) {
    // the source stream failed (e.g. a digest mismatch detected by the source)
    stream.cancel();
    await done;
    await abort(client, call, ref);
    throw e;
  }
  await done;
  if (failure) {
    const err = classifyGrpcError(failure, what);
    if (err.code === "already-exists") {
      if (Object.keys(labels).length > 0) await setContentLabels(client, call, d.digest, labels);
      return "present";
    }
    await abort(client, call, ref);
    throw err;
  }
  if (!committed || committed.digest !== d.digest) {
    await abort(client, call, ref);
    throw new KukeError("runtime", `${what}: containerd did not confirm the commit`, {
      detail: `${answered} responses, last commit digest ${committed?.digest ?? "none"}`,
    });
  }
  return "written";
}

async function abort(client: ContainerdClient, call: CallOptions, ref: string): Promise<void> {
  await client.unary("content", "Abort", { ref }, call).catch(() => undefined);
}

/** Merges labels into an existing blob's labels. */
export async function setContentLabels(
  client: ContainerdClient,
  call: CallOptions,
  digest: string,
  labels: Record<string, string>,
): Promise<void> {
  await client.unary(
    "content",
    "Update",
    { info: { digest, labels }, update_mask: { paths: Object.keys(labels).map((k) => `labels.${k}`) } },
    call,
  );
}

/** The whole blob. Meant for manifests, indexes and configs (small); not for layers. */
export async function readBlob(client: ContainerdClient, call: CallOptions, digest: string): Promise<Buffer> {
  const parts = await client.collect<{ offset: number; data: Buffer }>("content", "Read", { digest }, call);
  return Buffer.concat(parts.sort((a, b) => a.offset - b.offset).map((p) => p.data));
}
