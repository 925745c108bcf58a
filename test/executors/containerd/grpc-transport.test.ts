import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ContainerdClient } from "../../../src/executors/containerd/client.js";
import { classifyGrpcError } from "../../../src/executors/containerd/errors.js";
import {
  decodeGrpcMessage,
  GRPC_STATUS,
  GrpcError,
  statusFromHttp,
} from "../../../src/executors/containerd/grpc-status.js";
import {
  type CallStart,
  frameMessage,
  GrpcChannel,
  GrpcDuplexStream,
  grpcTimeout,
  MessageReader,
  serverStreamCall,
  unaryCall,
} from "../../../src/executors/containerd/grpc-transport.js";
import { probeContainerd } from "../../../src/executors/containerd/managed.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/containerd/grpc-transport");

const dir = mkdtempSync(join(tmpdir(), "kuke-grpc-test-"));
onTeardown("grpc transport test dir", () => rmSync(dir, { recursive: true, force: true }));
let sockets = 0;

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Promise<Buffer[]>) => void;

/** A tiny gRPC-shaped HTTP/2 server on a fresh unix socket; `handler` answers each call. */
async function serve(handler: Handler, socket = join(dir, `s${++sockets}.sock`)) {
  const sessions = new Set<http2.ServerHttp2Session>();
  const seen: http2.IncomingHttpHeaders[] = [];
  const resets: number[] = [];
  const opened = { count: 0 };
  const server = http2.createServer();
  server.on("session", (s) => {
    opened.count++;
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  server.on("stream", (stream, headers) => {
    seen.push(headers);
    stream.on("close", () => resets.push(stream.rstCode));
    stream.on("error", () => undefined);
    const reader = new MessageReader(64 * 1024 * 1024);
    const messages: Buffer[] = [];
    const body = new Promise<Buffer[]>((resolve) => {
      stream.on("data", (c: Buffer) => messages.push(...reader.push(c)));
      stream.on("end", () => resolve(messages));
    });
    handler(stream, headers, body);
  });
  await new Promise<void>((r) => server.listen(socket, r));
  const close = () =>
    new Promise<void>((r) => {
      for (const s of sessions) s.destroy();
      server.close(() => r());
    });
  onTeardown(`grpc test server ${socket}`, close);
  return { socket, seen, resets, sessions, opened, close };
}

/** Answers with `messages` and an OK status in the trailers. */
function reply(stream: http2.ServerHttp2Stream, messages: Buffer[], status = "0", message?: string): void {
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  stream.on("wantTrailers", () =>
    stream.sendTrailers({ "grpc-status": status, ...(message !== undefined ? { "grpc-message": message } : {}) }),
  );
  for (const m of messages) stream.write(frameMessage(m, 64 * 1024 * 1024));
  stream.end();
}

const call = (path = "/pkg.Svc/Method", timeoutMs = 5000): CallStart => ({
  path,
  metadata: { "containerd-namespace": "ns1", "containerd-lease": "lease1" },
  timeoutMs,
});

async function rejection(p: Promise<unknown>): Promise<GrpcError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.instance(e, GrpcError, `expected a GrpcError, got ${String(e)}`);
  return e as GrpcError;
}

t("framing: 1-byte flag, 4-byte big-endian length, then the message", () => {
  const f = frameMessage(Buffer.from("hello"), 100);
  assert.equal([...f.subarray(0, 5)], [0, 0, 0, 0, 5]);
  assert.is(f.subarray(5).toString(), "hello");
  const big = frameMessage(Buffer.alloc(300), 1000);
  assert.is(big.readUInt32BE(1), 300);
});

t("the reader cuts messages across and within chunks, empty messages included", () => {
  const stream = Buffer.concat([
    frameMessage(Buffer.from("one"), 100),
    frameMessage(Buffer.alloc(0), 100),
    frameMessage(Buffer.from("three!"), 100),
  ]);
  const byte = new MessageReader(100);
  const got: string[] = [];
  for (let i = 0; i < stream.length; i++) got.push(...byte.push(stream.subarray(i, i + 1)).map(String));
  assert.equal(got, ["one", "", "three!"]);
  assert.not.ok(byte.partial);
  const whole = new MessageReader(100);
  assert.equal(whole.push(stream).map(String), ["one", "", "three!"]);
  const half = new MessageReader(100);
  half.push(stream.subarray(0, 6));
  assert.ok(half.partial);
});

t("message size limit: sending or receiving more than the maximum is RESOURCE_EXHAUSTED", () => {
  assert.throws(
    () => frameMessage(Buffer.alloc(101), 100),
    (e: unknown) => e instanceof GrpcError && e.code === GRPC_STATUS.RESOURCE_EXHAUSTED,
  );
  frameMessage(Buffer.alloc(100), 100);
  const prefix = Buffer.from([0, 0, 0, 0, 101]);
  assert.throws(
    () => new MessageReader(100).push(prefix),
    (e: unknown) =>
      e instanceof GrpcError && e.code === GRPC_STATUS.RESOURCE_EXHAUSTED && /101 vs\. 100/.test(e.details),
  );
  assert.throws(
    () => new MessageReader(100).push(Buffer.from([1, 0, 0, 0, 1, 7])),
    (e: unknown) => e instanceof GrpcError && e.code === GRPC_STATUS.INTERNAL,
  );
});

t("grpc-timeout: milliseconds while they fit in 8 digits, then seconds, minutes, hours", () => {
  assert.is(grpcTimeout(30_000), "30000m");
  assert.is(grpcTimeout(99_999_999), "99999999m");
  assert.is(grpcTimeout(100_000_000), "100000S");
  assert.is(grpcTimeout(2_000_000_000), "2000000S");
  assert.is(grpcTimeout(0.4), "1m");
  assert.is(grpcTimeout(1e12), "16666667M");
  assert.is(grpcTimeout(1e13), "2777778H");
});

t("grpc-message is percent-decoded UTF-8; a malformed escape keeps the text", () => {
  assert.is(decodeGrpcMessage("plain text: no escapes"), "plain text: no escapes");
  assert.is(decodeGrpcMessage("a%20b%25c"), "a b%c");
  assert.is(decodeGrpcMessage("caf%C3%A9%0Aline"), "café\nline");
  assert.is(decodeGrpcMessage("100%"), "100%");
});

t("a response without grpc-status maps its HTTP status as the gRPC spec does", () => {
  assert.is(statusFromHttp(400).code, GRPC_STATUS.INTERNAL);
  assert.is(statusFromHttp(401).code, GRPC_STATUS.UNAUTHENTICATED);
  assert.is(statusFromHttp(403).code, GRPC_STATUS.PERMISSION_DENIED);
  assert.is(statusFromHttp(404).code, GRPC_STATUS.UNIMPLEMENTED);
  for (const s of [429, 502, 503, 504]) assert.is(statusFromHttp(s).code, GRPC_STATUS.UNAVAILABLE);
  assert.is(statusFromHttp(500).code, GRPC_STATUS.UNKNOWN);
});

t("unary: request headers, metadata and deadline on the wire; the response message back", async () => {
  const srv = await serve(async (stream, _h, body) => {
    const [req] = await body;
    reply(stream, [Buffer.from(`echo ${String(req)}`)]);
  });
  const ch = new GrpcChannel(srv.socket, 1024);
  try {
    const res = await unaryCall(ch, call("/containerd.services.tasks.v1.Tasks/Get", 30_000), Buffer.from("ping"));
    assert.is(String(res), "echo ping");
    const h = srv.seen[0]!;
    assert.is(h[":method"], "POST");
    assert.is(h[":path"], "/containerd.services.tasks.v1.Tasks/Get");
    assert.is(h["content-type"], "application/grpc");
    assert.is(h.te, "trailers");
    assert.is(h["grpc-timeout"], "30000m");
    assert.is(h["containerd-namespace"], "ns1");
    assert.is(h["containerd-lease"], "lease1");
  } finally {
    ch.close();
    await srv.close();
  }
});

t("status from the trailers (percent-decoded) and from a trailers-only response", async () => {
  const srv = await serve((stream, headers) => {
    if (headers[":path"] === "/only") {
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": "6", "grpc-message": "x%20exists" },
        { endStream: true },
      );
    } else if (headers[":path"] === "/http") {
      stream.respond({ ":status": 503 }, { endStream: true });
    } else reply(stream, [], "5", "container%20%22a%22%3A%20not%20found%C3%A9");
  });
  const ch = new GrpcChannel(srv.socket, 1024);
  try {
    const missing = await rejection(unaryCall(ch, call("/trailers"), Buffer.alloc(0)));
    assert.is(missing.code, GRPC_STATUS.NOT_FOUND);
    assert.is(missing.details, 'container "a": not foundé');
    const k = classifyGrpcError(missing, "containerd Containers.Get");
    assert.is(k.code, "not-found");
    assert.is(k.detail, 'container "a": not foundé');
    const exists = await rejection(unaryCall(ch, call("/only"), Buffer.alloc(0)));
    assert.is(exists.code, GRPC_STATUS.ALREADY_EXISTS);
    assert.is(exists.details, "x exists");
    assert.is(classifyGrpcError(exists, "x").code, "already-exists");
    const http = await rejection(unaryCall(ch, call("/http"), Buffer.alloc(0)));
    assert.is(http.code, GRPC_STATUS.UNAVAILABLE);
  } finally {
    ch.close();
    await srv.close();
  }
});

t("deadline: a call the server never answers fails DEADLINE_EXCEEDED and is reset", async () => {
  const srv = await serve(() => undefined);
  const ch = new GrpcChannel(srv.socket, 1024);
  try {
    const e = await rejection(unaryCall(ch, call("/slow", 200), Buffer.from("x")));
    assert.is(e.code, GRPC_STATUS.DEADLINE_EXCEEDED);
    assert.is(srv.seen[0]!["grpc-timeout"], "200m");
    assert.is(classifyGrpcError(e, "x").code, "unavailable");
    for (let i = 0; i < 100 && srv.resets.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(srv.resets, [http2.constants.NGHTTP2_CANCEL]);
  } finally {
    ch.close();
    await srv.close();
  }
});

t("size limit on the wire: an oversized response or request fails RESOURCE_EXHAUSTED", async () => {
  const srv = await serve((stream) => reply(stream, [Buffer.alloc(2000)]));
  const ch = new GrpcChannel(srv.socket, 1024);
  try {
    const received = await rejection(unaryCall(ch, call(), Buffer.from("x")));
    assert.is(received.code, GRPC_STATUS.RESOURCE_EXHAUSTED);
    const sent = await rejection(unaryCall(ch, call(), Buffer.alloc(1025)));
    assert.is(sent.code, GRPC_STATUS.RESOURCE_EXHAUSTED);
    assert.match(sent.details, /1025 vs\. 1024/);
  } finally {
    ch.close();
    await srv.close();
  }
});

t("server stream: every message in order, then OK", async () => {
  const srv = await serve((stream) =>
    reply(
      stream,
      ["a", "bb", "", "dddd"].map((s) => Buffer.from(s)),
    ),
  );
  const ch = new GrpcChannel(srv.socket, 1024);
  try {
    const got = await serverStreamCall(ch, call(), Buffer.from("list"));
    assert.equal(got.map(String), ["a", "bb", "", "dddd"]);
  } finally {
    ch.close();
    await srv.close();
  }
});

t("no socket, refused, or a session dropped mid-call: UNAVAILABLE; the next call opens a fresh session", async () => {
  const nowhere = new GrpcChannel(join(dir, "nothing-here.sock"), 1024);
  const enoent = await rejection(unaryCall(nowhere, call(), Buffer.from("x")));
  assert.is(enoent.code, GRPC_STATUS.UNAVAILABLE);
  assert.match(enoent.details, /ENOENT/);
  assert.is(classifyGrpcError(enoent, "x").code, "unavailable");
  nowhere.close();

  let drop = true;
  const srv = await serve((stream) => {
    if (drop) stream.session?.destroy();
    else reply(stream, [Buffer.from("back")]);
  });
  const ch = new GrpcChannel(srv.socket, 1024);
  try {
    const dropped = await rejection(unaryCall(ch, call(), Buffer.from("x")));
    assert.is(dropped.code, GRPC_STATUS.UNAVAILABLE, dropped.message);
    drop = false;
    assert.is(String(await unaryCall(ch, call(), Buffer.from("x"))), "back");
    await srv.close();
    const refused = await rejection(unaryCall(ch, call(), Buffer.from("x")));
    assert.is(refused.code, GRPC_STATUS.UNAVAILABLE, refused.message);
    // containerd back on the same socket: the same channel reaches it again.
    const again = await serve((stream) => reply(stream, [Buffer.from("again")]), srv.socket);
    assert.is(String(await unaryCall(ch, call(), Buffer.from("x"))), "again");
    await again.close();
  } finally {
    ch.close();
    await srv.close();
  }
});

t("bidirectional stream: each request answered, 'end' after OK; cancel() ends it with CANCELLED", async () => {
  const srv = await serve((stream) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    const reader = new MessageReader(1024);
    stream.on("data", (c: Buffer) => {
      for (const m of reader.push(c)) stream.write(frameMessage(Buffer.from(`ack ${String(m)}`), 1024));
    });
    stream.on("end", () => stream.end());
  });
  const ch = new GrpcChannel(srv.socket, 1024);
  try {
    const d = new GrpcDuplexStream<string, string>(ch, call(), (s) => Buffer.from(s), String);
    const got: string[] = [];
    d.on("data", (m: string) => got.push(m));
    const ended = new Promise<void>((resolve, reject) => d.on("end", resolve).on("error", reject));
    d.write("one");
    d.write("two");
    d.end();
    await ended;
    assert.equal(got, ["ack one", "ack two"]);

    const c = new GrpcDuplexStream<string, string>(ch, call(), (s) => Buffer.from(s), String);
    c.on("data", () => undefined);
    const failed = new Promise<unknown>((resolve) => c.on("error", resolve).on("end", () => resolve("ended")));
    c.write("x");
    c.cancel();
    const e = await failed;
    assert.instance(e, GrpcError);
    assert.is((e as GrpcError).code, GRPC_STATUS.CANCELLED);
  } finally {
    ch.close();
    await srv.close();
  }
});

t("an idle channel never keeps the process alive, a call in flight does", async () => {
  const srv = await serve(async (stream, _h, body) => {
    await body;
    setTimeout(() => reply(stream, [Buffer.from("late")]), 300);
  });
  const transport = fileURLToPath(new URL("../../../src/executors/containerd/grpc-transport.js", import.meta.url));
  // One call answered after 300 ms, then nothing: no close(). The child must print and exit.
  const script = [
    `const { GrpcChannel, unaryCall } = await import(${JSON.stringify(transport)});`,
    `const ch = new GrpcChannel(${JSON.stringify(srv.socket)}, 1024);`,
    `const r = await unaryCall(ch, { path: "/x", metadata: {}, timeoutMs: 10000 }, Buffer.from("x"));`,
    `console.log(String(r));`,
  ].join("\n");
  try {
    // The server lives in this process: the child must run asynchronously.
    const child = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000 }, (err, stdout) =>
        resolve({ status: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout }),
      );
    });
    assert.is(child.stdout.trim(), "late");
    assert.is(child.status, 0);
  } finally {
    await srv.close();
  }
});

t("the probe's session is the next client's: one connection for the probe and the command's calls", async () => {
  // VersionResponse { version = 1: "1.6.20", revision = 2: "r1" }, written out by hand.
  const version = Buffer.from([0x0a, 6, ...Buffer.from("1.6.20"), 0x12, 2, ...Buffer.from("r1")]);
  const server = await serve((stream) => reply(stream, [version]));
  const probe = await probeContainerd(server.socket);
  assert.is(probe.version, "1.6.20");
  const client = new ContainerdClient(server.socket);
  assert.equal(await client.version(), { version: "1.6.20", revision: "r1" });
  assert.is(server.seen.length, 2, "both calls reached the server");
  assert.is(server.opened.count, 1, "the client rode the probe's session");
  // A client closed the ordinary way leaves nothing behind: the next one connects afresh.
  client.close();
  const next = new ContainerdClient(server.socket);
  await next.version();
  next.close();
  assert.is(server.seen.length, 3);
  assert.is(server.opened.count, 2, "a closed client's session is not handed on");
  await server.close();
});

t.run();
