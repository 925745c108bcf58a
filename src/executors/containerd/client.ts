import { KukeError } from "../../model/errors.js";
import { grpcCodeName } from "./errors.js";
import { GRPC_STATUS, GrpcError } from "./grpc-status.js";
import { type CallStart, GrpcChannel, GrpcDuplexStream, serverStreamCall, unaryCall } from "./grpc-transport.js";
import { type MethodCodec, methodCodec } from "./proto-codec.js";
import { DEFAULT_RETRY_MS, type RetryState, withRetry } from "./retry.js";

/**
 * One HTTP/2 session to one containerd (kuke's own gRPC transport, grpc-transport.ts), shared by
 * every service module. The namespace (and lease) travel with each call as parameters, never as
 * client state, so one client serves every realm. The transport and the protobuf descriptor
 * load on the first call: commands that never talk to containerd (version, validate, plan
 * --refresh=false) load none of them.
 */

export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** containerd's service names as `<package>.<Service>`. */
const SERVICES = {
  version: "containerd.services.version.v1.Version",
  namespaces: "containerd.services.namespaces.v1.Namespaces",
  containers: "containerd.services.containers.v1.Containers",
  tasks: "containerd.services.tasks.v1.Tasks",
  images: "containerd.services.images.v1.Images",
  content: "containerd.services.content.v1.Content",
  snapshots: "containerd.services.snapshots.v1.Snapshots",
  diff: "containerd.services.diff.v1.Diff",
  leases: "containerd.services.leases.v1.Leases",
  introspection: "containerd.services.introspection.v1.Introspection",
} as const;
export type ServiceName = keyof typeof SERVICES;

/** Per-call routing: the containerd namespace is mandatory, a lease only for GC-sensitive work. */
export interface CallOptions {
  namespace: string;
  /** Holds new content and snapshots alive until the lease is deleted. */
  lease?: string | undefined;
  /**
   * Deadline for a unary call, in milliseconds.
   * @default 30000
   */
  timeoutMs?: number | undefined;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface ClientOptions {
  /**
   * How long one call keeps retrying while containerd does not answer (gRPC UNAVAILABLE: its
   * socket is gone while it restarts), once this client has reached it; 0 never retries.
   * @default 20000
   */
  retryMs?: number;
}

/** `unix:///abs/path.sock` from a socket path or an address that already has the scheme. */
export function toGrpcAddress(address: string): string {
  if (address.startsWith("unix://")) {
    const path = address.slice("unix://".length);
    return `unix://${path.startsWith("/") ? path : `/${path}`}`;
  }
  if (!address.startsWith("/")) {
    throw new KukeError("usage", `containerd address '${address}' is not an absolute socket path`, {
      remedy: "pass --containerd-address /run/containerd/containerd.sock (or unix:///…)",
    });
  }
  return `unix://${address}`;
}

/**
 * Sessions of clients closed with `keepSession` (the address probe, which has just reached the
 * daemon), by socket path, each for the next client to that socket: a command's first calls then
 * ride the connection its probe opened instead of opening a second one. An idle session is
 * unref'd, so one nobody takes never keeps the process alive; a broken one reconnects on use.
 */
const spareChannels = new Map<string, GrpcChannel>();

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

export class ContainerdClient {
  readonly address: string;
  private channel: GrpcChannel | undefined;
  private closed = false;
  private readonly retry: RetryState;

  constructor(address: string, options: ClientOptions = {}) {
    this.address = toGrpcAddress(address);
    this.retry = { answered: false, retryMs: options.retryMs ?? DEFAULT_RETRY_MS, address: this.address };
  }

  /** The method's codec; throws at once (not as a rejected call) for a closed client or an unknown method. */
  private codec(service: ServiceName, method: string): MethodCodec {
    if (this.closed) throw new KukeError("runtime", "containerd client used after close()");
    const codec = methodCodec(SERVICES[service], method);
    if (codec === undefined) throw new KukeError("runtime", `no method ${service}.${method} in kuke's protos`);
    return codec;
  }

  private start(codec: MethodCodec, opts: CallOptions, timeoutMs: number): [GrpcChannel, CallStart] {
    if (this.channel === undefined) {
      const socket = this.address.slice("unix://".length);
      this.channel = spareChannels.get(socket) ?? new GrpcChannel(socket, MAX_MESSAGE_BYTES);
      spareChannels.delete(socket);
    }
    const metadata: Record<string, string> = { "containerd-namespace": opts.namespace };
    if (opts.lease) metadata["containerd-lease"] = opts.lease;
    return [this.channel, { path: codec.path, metadata, timeoutMs }];
  }

  /**
   * One request, one response, bounded by `opts.timeoutMs` per attempt; retried while containerd
   * restarts (see retry.ts); failures come back as KukeError.
   */
  unary<Res>(service: ServiceName, method: string, req: object, opts: CallOptions): Promise<Res> {
    const codec = this.codec(service, method);
    const once = async () => {
      const [channel, call] = this.start(codec, opts, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      return decode<Res>(codec, await unaryCall(channel, call, encode(codec, req)));
    };
    return withRetry(this.retry, {
      what: `containerd ${SERVICES[service].split(".").pop()}.${method}`,
      once,
      afterRetry: this.settleRetried<Res>(service, method, req as Record<string, unknown>, opts),
    });
  }

  /**
   * The calls that create or start something, retried after an UNAVAILABLE attempt that may have
   * taken effect: the object the first attempt made is success when it is the one asked for.
   * Deletes need nothing here: their callers already take NOT_FOUND as done.
   */
  private settleRetried<Res>(
    service: ServiceName,
    method: string,
    req: Record<string, unknown>,
    opts: CallOptions,
  ): ((raw: unknown) => Promise<Res | undefined>) | undefined {
    const key = `${service}.${method}`;
    const exists = (raw: unknown) => grpcCodeName(raw) === "ALREADY_EXISTS";
    switch (key) {
      case "containers.Create":
        // The same container: same id (the lookup) and the same labels, spec hash included.
        return async (raw) => {
          if (!exists(raw)) return undefined;
          const want = req.container as { id: string; labels: Record<string, string> };
          const got = await this.unary<{ container: { labels: Record<string, string> } }>(
            "containers",
            "Get",
            { id: want.id },
            opts,
          );
          return sameLabels(got.container.labels, want.labels) ? (got as Res) : undefined;
        };
      case "snapshots.Prepare":
        return async (raw) =>
          exists(raw)
            ? this.unary<Res>("snapshots", "Mounts", { snapshotter: req.snapshotter, key: req.key }, opts)
            : undefined;
      case "tasks.Create":
      case "leases.Create":
        return async (raw) => (exists(raw) ? ({} as Res) : undefined);
      case "tasks.Start":
        // Started by the first attempt: containerd now refuses to start it again; a running task is the result.
        return async () => {
          if (req.exec_id) return undefined;
          const got = await this.unary<{ process: { pid: number; status: string } }>(
            "tasks",
            "Get",
            { container_id: req.container_id },
            opts,
          ).catch(() => undefined);
          return got?.process.status === "RUNNING" ? ({ pid: got.process.pid } as Res) : undefined;
        };
      default:
        return undefined;
    }
  }

  /** A server stream collected into an array (Snapshots.List, Content.Read); retried as a whole. */
  collect<Item>(service: ServiceName, method: string, req: object, opts: CallOptions): Promise<Item[]> {
    const codec = this.codec(service, method);
    const once = async () => {
      const [channel, call] = this.start(codec, opts, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      const messages = await serverStreamCall(channel, call, encode(codec, req));
      return messages.map((m) => decode<Item>(codec, m));
    };
    return withRetry(this.retry, { what: `containerd ${service}.${method}`, once });
  }

  /**
   * A bidirectional stream (Content.Write). The caller owns it and must end it; errors on it are raw
   * and must go through `classifyGrpcError`.
   */
  duplex<Req, Res>(service: ServiceName, method: string, opts: CallOptions): GrpcDuplexStream<Req, Res> {
    const codec = this.codec(service, method);
    const [channel, call] = this.start(codec, opts, opts.timeoutMs ?? 10 * 60_000);
    return new GrpcDuplexStream<Req, Res>(
      channel,
      call,
      (r) => codec.encode(r),
      (m) => decode<Res>(codec, m),
    );
  }

  /** containerd's version and git revision; the cheapest call that proves the daemon answers. */
  async version(timeoutMs = 5000): Promise<{ version: string; revision: string }> {
    return this.unary("version", "Version", {}, { namespace: "default", timeoutMs });
  }

  /**
   * Closes the session once the calls in flight are done; later calls throw. `keepSession` hands
   * it instead to the next client made for the same socket (see `spareChannels`).
   */
  close(opts: { keepSession?: boolean } = {}): void {
    this.closed = true;
    if (this.channel === undefined) return;
    if (opts.keepSession === true) {
      const socket = this.channel.socketPath;
      spareChannels.get(socket)?.close();
      spareChannels.set(socket, this.channel);
    } else this.channel.close();
  }
}

/** A request as bytes; a request the protos cannot hold fails as INTERNAL, as grpc-js's did. */
function encode(codec: MethodCodec, req: unknown): Uint8Array {
  try {
    return codec.encode(req);
  } catch (e) {
    throw new GrpcError(GRPC_STATUS.INTERNAL, `Request message serialization failure: ${(e as Error).message}`);
  }
}

function decode<T>(codec: MethodCodec, message: Buffer): T {
  try {
    return codec.decode(message) as T;
  } catch (e) {
    throw new GrpcError(GRPC_STATUS.INTERNAL, `Response message parsing error: ${(e as Error).message}`);
  }
}
