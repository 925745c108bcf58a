/**
 * kuke's gRPC transport: calls over one HTTP/2 session (node:http2) on containerd's unix socket,
 * bytes in and bytes out (protobuf is proto-codec.ts's). Only what containerd's API needs: unary,
 * server-streaming and bidirectional calls, deadlines, metadata as plain headers, no compression, no
 * TLS, no name resolution, no load balancing.
 *
 * The wire format (grpc/doc/PROTOCOL-HTTP2.md): a POST to `/<package>.<Service>/<Method>` with
 * `content-type: application/grpc` and `te: trailers`; every message in either direction is a
 * 1-byte compressed flag and a 4-byte big-endian length before its bytes; the call's status comes
 * in the trailers (`grpc-status`, percent-encoded `grpc-message`), or in the response headers of a
 * trailers-only response. A stream that closes without a status is mapped as grpc-js maps it, so
 * errors.ts and retry.ts classify both the same: a dropped or refused connection is UNAVAILABLE.
 *
 * node:http2 is required on first connect, not at import: `kuke version` never pays for it.
 */
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from "node:http2";
import { createRequire } from "node:module";
import { Duplex } from "node:stream";
import { decodeGrpcMessage, GRPC_STATUS, GrpcError, statusFromHttp } from "./grpc-status.js";

const requireBuiltin = createRequire(import.meta.url);
let http2Module: typeof import("node:http2") | undefined;
const http2 = () => (http2Module ??= requireBuiltin("node:http2") as typeof import("node:http2"));

/** The prefix of every message: compressed flag (0: kuke never compresses, nor asks for it) and length. */
const PREFIX_BYTES = 5;

/** One message with its prefix; RESOURCE_EXHAUSTED above `maxBytes` (nothing is sent then). */
export function frameMessage(message: Uint8Array, maxBytes: number): Buffer {
  if (message.length > maxBytes) {
    throw new GrpcError(
      GRPC_STATUS.RESOURCE_EXHAUSTED,
      `Sent message larger than max (${message.length} vs. ${maxBytes})`,
    );
  }
  const out = Buffer.allocUnsafe(PREFIX_BYTES + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, PREFIX_BYTES);
  return out;
}

/**
 * Cuts a response body into messages as its DATA frames arrive: a message may span frames and a
 * frame may hold several messages. A length above `maxBytes` fails before its bytes are buffered.
 */
export class MessageReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the message being read, or -1 while reading a prefix. */
  private need = -1;

  constructor(private readonly maxBytes: number) {}

  /** The messages `chunk` completes, in order; throws GrpcError for an oversized or compressed one. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < PREFIX_BYTES) break;
        const prefix = this.take(PREFIX_BYTES);
        if (prefix[0] !== 0) {
          throw new GrpcError(
            GRPC_STATUS.INTERNAL,
            prefix[0] === 1
              ? "Received a compressed message, but kuke asked for none"
              : `Invalid message flag ${prefix[0]}`,
          );
        }
        const length = prefix.readUInt32BE(1);
        if (length > this.maxBytes) {
          throw new GrpcError(
            GRPC_STATUS.RESOURCE_EXHAUSTED,
            `Received message larger than max (${length} vs. ${this.maxBytes})`,
          );
        }
        this.need = length;
      }
      if (this.buffered < this.need) break;
      out.push(this.take(this.need));
      this.need = -1;
    }
    return out;
  }

  /** True when the body so far ends inside a message. */
  get partial(): boolean {
    return this.need >= 0 || this.buffered > 0;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first === undefined || n === 0) return Buffer.alloc(0);
    this.buffered -= n;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}

/** `grpc-timeout` for a deadline `ms` from now: at most 8 digits, in the finest unit that fits. */
export function grpcTimeout(ms: number): string {
  const n = Math.max(0, Math.ceil(ms));
  if (n < 1e8) return `${n}m`;
  const s = Math.ceil(n / 1000);
  if (s < 1e8) return `${s}S`;
  const m = Math.ceil(s / 60);
  if (m < 1e8) return `${m}M`;
  return `${Math.ceil(m / 60)}H`;
}

/** The status in a header block (trailers, or the headers of a trailers-only response); null for OK. */
export function statusOf(headers: IncomingHttpHeaders): GrpcError | null | undefined {
  const raw = headers["grpc-status"];
  if (raw === undefined) return undefined;
  const code = Number(Array.isArray(raw) ? raw[0] : raw);
  if (code === GRPC_STATUS.OK) return null;
  const message = headers["grpc-message"];
  const details = decodeGrpcMessage(Array.isArray(message) ? (message[0] ?? "") : (message ?? ""));
  return Number.isInteger(code) && code > 0
    ? new GrpcError(code, details)
    : new GrpcError(GRPC_STATUS.UNKNOWN, `Invalid grpc-status '${String(raw)}': ${details}`);
}

/** One call to start: the method's path, metadata headers, and its deadline. */
export interface CallStart {
  /** `/containerd.services.tasks.v1.Tasks/Create`. */
  path: string;
  /** Sent as headers (`containerd-namespace`, `containerd-lease`). */
  metadata: Record<string, string>;
  /** Deadline from now; sent as `grpc-timeout` and enforced here too. */
  timeoutMs: number;
}

/** What a call reports: each response message, then exactly one status (undefined for OK). */
export interface CallHandlers {
  onMessage(message: Buffer): void;
  onStatus(error: GrpcError | undefined): void;
}

/** One HTTP/2 session and what became of it. */
interface Connection {
  session: ClientHttp2Session;
  /** Calls in flight: the session keeps the process alive only while there are some. */
  active: number;
  /** GOAWAY, error or close seen: no new calls on it; calls left without a status are UNAVAILABLE. */
  broken: boolean;
  failure?: Error;
}

/**
 * One session to one socket, opened on the first call and again on the first call after it broke
 * (containerd restarted: the next attempt of retry.ts gets a fresh session). Unref'd while idle.
 */
export class GrpcChannel {
  private connection: Connection | undefined;
  private closed = false;

  constructor(
    readonly socketPath: string,
    readonly maxMessageBytes: number,
  ) {}

  /** Starts a call. Its failures, connecting included, come back through `handlers.onStatus`. */
  start(call: CallStart, handlers: CallHandlers): ActiveCall {
    return new ActiveCall(this, call, handlers);
  }

  /** @internal The session for a new call, connecting when there is none or it broke. */
  acquire(): Connection {
    if (this.closed) throw new GrpcError(GRPC_STATUS.UNAVAILABLE, "Channel has been shut down");
    let c = this.connection;
    if (c === undefined || c.broken || c.session.closed || c.session.destroyed) {
      c = this.connect();
      this.connection = c;
    }
    if (c.active++ === 0) c.session.ref();
    return c;
  }

  /** @internal A call on `c` ended. */
  release(c: Connection): void {
    if (--c.active === 0 && !c.session.destroyed) c.session.unref();
  }

  private connect(): Connection {
    const h2 = http2();
    const path = this.socketPath;
    const session = h2.connect("http://localhost", {
      createConnection: () => requireBuiltin("node:net").connect(path),
      settings: { enablePush: false },
      // As grpc-js: node's session memory check degrades badly when reached; containerd bounds
      // its own messages, and kuke's are bounded by maxMessageBytes.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
    });
    const c: Connection = { session, active: 0, broken: false };
    const broke = () => {
      c.broken = true;
      if (this.connection === c) this.connection = undefined;
    };
    session.on("error", (e: Error) => {
      c.failure ??= e;
      broke();
    });
    session.on("goaway", broke);
    session.on("close", broke);
    session.unref();
    return c;
  }

  /** Closes the session once its calls are done; calls started afterwards fail. */
  close(): void {
    this.closed = true;
    const c = this.connection;
    this.connection = undefined;
    if (c !== undefined && !c.session.closed) {
      c.broken = true;
      c.session.close();
    }
  }
}

/** A call in flight: messages out, messages and one status in. */
export class ActiveCall {
  private stream: ClientHttp2Stream | undefined;
  private connection: Connection | undefined;
  private done = false;
  private status: GrpcError | null | undefined;
  private httpStatus: number | undefined;
  private streamError: Error | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly reader: MessageReader;

  constructor(
    private readonly channel: GrpcChannel,
    call: CallStart,
    private readonly handlers: CallHandlers,
  ) {
    this.reader = new MessageReader(channel.maxMessageBytes);
    this.timer = setTimeout(() => this.fail(GRPC_STATUS.DEADLINE_EXCEEDED, "Deadline exceeded"), call.timeoutMs);
    let c: Connection;
    try {
      c = channel.acquire();
    } catch (e) {
      process.nextTick(() => this.finish(e instanceof GrpcError ? e : unavailable(e)));
      return;
    }
    this.connection = c;
    let stream: ClientHttp2Stream;
    try {
      stream = c.session.request(
        {
          ":method": "POST",
          ":path": call.path,
          "content-type": "application/grpc",
          te: "trailers",
          "grpc-timeout": grpcTimeout(call.timeoutMs),
          ...call.metadata,
        },
        { endStream: false },
      );
    } catch (e) {
      // The session went away between the check and the request (GOAWAY, destroyed).
      c.broken = true;
      process.nextTick(() => this.finish(unavailable(e)));
      return;
    }
    this.stream = stream;
    stream.on("response", (headers) => {
      this.httpStatus = Number(headers[":status"]);
      const s = statusOf(headers);
      if (s !== undefined) this.status = s;
    });
    stream.on("data", (chunk: Buffer) => {
      if (this.done) return;
      let messages: Buffer[];
      try {
        messages = this.reader.push(chunk);
      } catch (e) {
        this.finish(e as GrpcError, true);
        return;
      }
      for (const m of messages) {
        if (this.done) return;
        try {
          this.handlers.onMessage(m);
        } catch (e) {
          this.fail(GRPC_STATUS.INTERNAL, `Response message parsing error: ${(e as Error).message}`);
        }
      }
    });
    stream.on("trailers", (trailers) => {
      const s = statusOf(trailers);
      this.status = s === undefined ? new GrpcError(GRPC_STATUS.UNKNOWN, "Trailers without grpc-status") : s;
    });
    stream.on("end", () => {
      if (this.status !== undefined) this.finish(this.endStatus());
      else if (this.httpStatus !== undefined && this.httpStatus !== 200) this.finish(statusFromHttp(this.httpStatus));
    });
    stream.on("error", (e: Error) => {
      this.streamError ??= e;
    });
    stream.on("close", () => {
      // After any 'error' of the session emitted at about the same time, so a dropped connection
      // is known as one (grpc-js waits the same tick).
      process.nextTick(() => this.finish(this.status !== undefined ? this.endStatus() : this.closedWithoutStatus()));
    });
  }

  /** Sends one encoded message; false when the stream's buffer is full (wait for `onDrain`). */
  write(message: Uint8Array): boolean {
    if (this.done || this.stream === undefined) return true;
    return this.stream.write(frameMessage(message, this.channel.maxMessageBytes));
  }

  /** Calls `cb` once the stream can take more (at once when it is gone). */
  onDrain(cb: () => void): void {
    const s = this.stream;
    if (this.done || s === undefined || s.destroyed) {
      cb();
      return;
    }
    const once = () => {
      s.off("drain", once).off("close", once);
      cb();
    };
    s.on("drain", once).on("close", once);
  }

  /** No more messages from this side. */
  end(): void {
    if (!this.done && this.stream !== undefined && !this.stream.writableEnded) this.stream.end();
  }

  /** Ends the call from this side: status CANCELLED, the stream reset. */
  cancel(): void {
    this.fail(GRPC_STATUS.CANCELLED, "Cancelled on client");
  }

  /** Ends the call with a status made here (deadline, cancel, a bad response, an oversized send). */
  fail(code: number, details: string): void {
    this.finish(new GrpcError(code, details), true);
  }

  private endStatus(): GrpcError | null {
    if (this.status === null && this.reader.partial) {
      return new GrpcError(GRPC_STATUS.INTERNAL, "Response ended inside a message");
    }
    return this.status ?? null;
  }

  /** The status of a stream that closed before one arrived, mapped as grpc-js maps it. */
  private closedWithoutStatus(): GrpcError {
    const c = this.connection;
    if (c !== undefined && (c.broken || c.session.destroyed)) {
      return new GrpcError(
        GRPC_STATUS.UNAVAILABLE,
        c.failure?.message ?? this.streamError?.message ?? "Connection dropped",
      );
    }
    const { constants } = http2();
    const rst = this.stream?.rstCode;
    switch (rst) {
      case constants.NGHTTP2_REFUSED_STREAM:
        return new GrpcError(GRPC_STATUS.UNAVAILABLE, "Stream refused by server");
      case constants.NGHTTP2_CANCEL:
        return new GrpcError(GRPC_STATUS.CANCELLED, "Call cancelled");
      case constants.NGHTTP2_ENHANCE_YOUR_CALM:
        return new GrpcError(GRPC_STATUS.RESOURCE_EXHAUSTED, "Bandwidth exhausted or memory limit exceeded");
      case constants.NGHTTP2_NO_ERROR:
      case undefined:
        if (this.httpStatus !== undefined && this.httpStatus !== 200) return statusFromHttp(this.httpStatus);
        return new GrpcError(GRPC_STATUS.INTERNAL, "Call ended without gRPC status");
      default:
        return new GrpcError(GRPC_STATUS.INTERNAL, `Received RST_STREAM with code ${rst}`);
    }
  }

  private finish(status: GrpcError | null, reset = false): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    const s = this.stream;
    // A stream ended both ways closes by itself; otherwise (a status while this side still
    // writes, a deadline, a cancel) it is reset.
    if (s !== undefined && !s.closed && !s.destroyed && (reset || !s.writableEnded)) {
      const { constants } = http2();
      s.close(reset ? constants.NGHTTP2_CANCEL : constants.NGHTTP2_NO_ERROR);
    }
    if (this.connection !== undefined) this.channel.release(this.connection);
    this.handlers.onStatus(status ?? undefined);
  }
}

function unavailable(e: unknown): GrpcError {
  return new GrpcError(GRPC_STATUS.UNAVAILABLE, e instanceof Error ? e.message : String(e));
}

/** One request, one response; rejects with GrpcError. */
export function unaryCall(channel: GrpcChannel, call: CallStart, request: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let response: Buffer | undefined;
    const active = channel.start(call, {
      onMessage: (m) => {
        if (response !== undefined) active.fail(GRPC_STATUS.UNIMPLEMENTED, "Too many responses for a unary call");
        response = m;
      },
      onStatus: (err) => {
        if (err !== undefined) reject(err);
        else if (response === undefined) reject(new GrpcError(GRPC_STATUS.UNIMPLEMENTED, "No message received"));
        else resolve(response);
      },
    });
    sendLast(active, request);
  });
}

/** One request, the stream of responses collected; rejects with GrpcError. */
export function serverStreamCall(channel: GrpcChannel, call: CallStart, request: Uint8Array): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const responses: Buffer[] = [];
    const active = channel.start(call, {
      onMessage: (m) => responses.push(m),
      onStatus: (err) => (err !== undefined ? reject(err) : resolve(responses)),
    });
    sendLast(active, request);
  });
}

function sendLast(active: ActiveCall, request: Uint8Array): void {
  try {
    active.write(request);
    active.end();
  } catch (e) {
    if (e instanceof GrpcError) active.fail(e.code, e.details);
    else active.fail(GRPC_STATUS.INTERNAL, `Request message serialization failure: ${(e as Error).message}`);
  }
}

/**
 * A bidirectional call as an object-mode stream: write requests, read responses ('data'), 'end'
 * after an OK status, 'error' with the GrpcError of any other; `cancel()` ends it with CANCELLED.
 */
export class GrpcDuplexStream<Req, Res> extends Duplex {
  private readonly call: ActiveCall;

  constructor(
    channel: GrpcChannel,
    start: CallStart,
    private readonly encode: (req: Req) => Uint8Array,
    decode: (message: Buffer) => Res,
  ) {
    // A small write buffer: the caller's 1 MiB chunks wait for HTTP/2 flow control, not in memory.
    super({ objectMode: true, writableHighWaterMark: 2 });
    this.call = channel.start(start, {
      onMessage: (m) => this.push(decode(m)),
      onStatus: (err) => {
        if (err !== undefined) this.destroy(err);
        else this.push(null);
      },
    });
  }

  override _write(req: Req, _encoding: BufferEncoding, cb: (error?: Error | null) => void): void {
    let flushed: boolean;
    try {
      flushed = this.call.write(this.encode(req));
    } catch (e) {
      const err =
        e instanceof GrpcError
          ? e
          : new GrpcError(GRPC_STATUS.INTERNAL, `Request message serialization failure: ${(e as Error).message}`);
      this.call.fail(err.code, err.details);
      cb(err);
      return;
    }
    if (flushed) cb();
    else this.call.onDrain(() => cb());
  }

  override _final(cb: (error?: Error | null) => void): void {
    this.call.end();
    cb();
  }

  override _read(): void {}

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.call.cancel();
    cb(err);
  }

  /** Ends the call from this side; the stream then emits 'error' with CANCELLED. */
  cancel(): void {
    this.call.cancel();
  }
}
