import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type {
  ChannelOptions,
  Client,
  ClientDuplexStream,
  ClientReadableStream,
  Metadata,
  ServiceDefinition,
} from "@grpc/grpc-js";
import type { PackageDefinition } from "@grpc/proto-loader";
import { KukeError } from "../../model/errors.js";
import { grpcCodeName } from "./errors.js";
import { DEFAULT_RETRY_MS, type RetryState, withRetry } from "./retry.js";

/**
 * One gRPC channel to one containerd, shared by every service module. The namespace (and lease)
 * travel with each call as parameters, never as client state, so one client serves every realm.
 */

export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** containerd's service names as `<package>.<Service>`, the keys of the loaded definition. */
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

/**
 * grpc-js and proto-loader (with protobufjs) are loaded on first use, not at import: commands that
 * never talk to containerd (version, validate, plan --refresh=false) skip ~50 ms of module loading.
 * Both are CommonJS, so a synchronous require keeps the client's methods synchronous.
 */
const requireCjs = createRequire(import.meta.url);
let grpcModule: typeof import("@grpc/grpc-js") | undefined;
const grpc = () => (grpcModule ??= requireCjs("@grpc/grpc-js") as typeof import("@grpc/grpc-js"));

/** The repository's `proto/` folder, from either `src/…` (ts) or `dist/src/…` (compiled). */
function protoDir(): string {
  for (const up of ["../../../proto/", "../../../../proto/"]) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(`${dir}containerd/services/tasks.proto`)) return dir;
  }
  throw new KukeError("runtime", "kuke's containerd .proto files are missing", {
    detail: `looked for proto/ next to ${fileURLToPath(import.meta.url)}`,
    remedy: "reinstall kuke; the package must ship its proto/ folder",
  });
}

const definitions = new Map<ServiceName, PackageDefinition>();
/**
 * Services parsed together: the .proto files of a group share their imports (containerd's types,
 * google's well-known types), which one `loadSync` parses once instead of once per file. Refresh
 * uses these three; parsing them in one call measured about half the time of three calls.
 */
const PARSED_TOGETHER: readonly ServiceName[][] = [["namespaces", "containers", "tasks"]];
/**
 * The service's definition, parsed from its .proto file the first time the service is used: a
 * refresh needs three of the nine services, and parsing is most of the client's start-up cost.
 */
function serviceDefinition(service: ServiceName): ServiceDefinition {
  let d = definitions.get(service);
  if (d === undefined) {
    const { loadSync } = requireCjs("@grpc/proto-loader") as typeof import("@grpc/proto-loader");
    const group = PARSED_TOGETHER.find((g) => g.includes(service)) ?? [service];
    // Longs as Number: sizes and offsets stay far below 2^53; enums as their names.
    d = loadSync(
      group.map((s) => `containerd/services/${s}.proto`),
      {
        includeDirs: [protoDir()],
        keepCase: true,
        longs: Number,
        enums: String,
        defaults: true,
        oneofs: true,
      },
    );
    for (const s of group) definitions.set(s, d);
  }
  return d[SERVICES[service]] as ServiceDefinition;
}

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

type UnaryFn = (req: unknown, md: Metadata, opts: { deadline: Date }, cb: (err: unknown, res: unknown) => void) => void;

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

export class ContainerdClient {
  readonly address: string;
  private readonly stubs = new Map<ServiceName, Client>();
  private readonly channelOptions: ChannelOptions = {
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    // After a containerd restart, reconnect within ~1 s rather than grpc-js's growing backoff
    // (1 s up to 120 s), which would outlast the retry budget.
    "grpc.initial_reconnect_backoff_ms": 100,
    "grpc.max_reconnect_backoff_ms": 1000,
  };
  private closed = false;
  private readonly retry: RetryState;

  constructor(address: string, options: ClientOptions = {}) {
    this.address = toGrpcAddress(address);
    this.retry = { answered: false, retryMs: options.retryMs ?? DEFAULT_RETRY_MS, address: this.address };
  }

  private stub(service: ServiceName): Client {
    if (this.closed) throw new KukeError("runtime", "containerd client used after close()");
    let s = this.stubs.get(service);
    if (!s) {
      const { credentials, makeClientConstructor } = grpc();
      const Ctor = makeClientConstructor(serviceDefinition(service), SERVICES[service]);
      // The first stub owns the channel; the others share it through channelOverride.
      const first = this.stubs.values().next().value as Client | undefined;
      s = first
        ? new Ctor(this.address, credentials.createInsecure(), {
            ...this.channelOptions,
            channelOverride: first.getChannel(),
          })
        : new Ctor(this.address, credentials.createInsecure(), this.channelOptions);
      this.stubs.set(service, s);
    }
    return s;
  }

  private metadata(opts: CallOptions): Metadata {
    const md = new (grpc().Metadata)();
    md.set("containerd-namespace", opts.namespace);
    if (opts.lease) md.set("containerd-lease", opts.lease);
    return md;
  }

  /**
   * One request, one response, bounded by `opts.timeoutMs` per attempt; retried while containerd
   * restarts (see retry.ts); failures come back as KukeError.
   */
  unary<Res>(service: ServiceName, method: string, req: object, opts: CallOptions): Promise<Res> {
    const stub = this.stub(service) as unknown as Record<string, UnaryFn>;
    const fn = stub[method];
    if (typeof fn !== "function") throw new KukeError("runtime", `no method ${service}.${method} in kuke's protos`);
    const once = () =>
      new Promise<Res>((resolve, reject) => {
        const deadline = new Date(Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS));
        fn.call(stub, req, this.metadata(opts), { deadline }, (err, res) => {
          if (err) reject(err);
          else resolve(res as Res);
        });
      });
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
    const stub = this.stub(service) as unknown as Record<
      string,
      (req: unknown, md: Metadata, o: { deadline: Date }) => ClientReadableStream<Item>
    >;
    const once = () =>
      new Promise<Item[]>((resolve, reject) => {
        const deadline = new Date(Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS));
        const stream = stub[method]!.call(stub, req, this.metadata(opts), { deadline });
        const items: Item[] = [];
        stream.on("data", (d: Item) => items.push(d));
        stream.on("error", reject);
        stream.on("end", () => resolve(items));
      });
    return withRetry(this.retry, { what: `containerd ${service}.${method}`, once });
  }

  /**
   * A bidirectional stream (Content.Write). The caller owns it and must end it; errors on it are raw
   * and must go through `classifyGrpcError`.
   */
  duplex<Req, Res>(service: ServiceName, method: string, opts: CallOptions): ClientDuplexStream<Req, Res> {
    const stub = this.stub(service) as unknown as Record<
      string,
      (md: Metadata, o: { deadline: Date }) => ClientDuplexStream<Req, Res>
    >;
    const deadline = new Date(Date.now() + (opts.timeoutMs ?? 10 * 60_000));
    return stub[method]!.call(stub, this.metadata(opts), { deadline });
  }

  /** containerd's version and git revision; the cheapest call that proves the daemon answers. */
  async version(timeoutMs = 5000): Promise<{ version: string; revision: string }> {
    return this.unary("version", "Version", {}, { namespace: "default", timeoutMs });
  }

  close(): void {
    this.closed = true;
    for (const s of this.stubs.values()) s.close();
    this.stubs.clear();
  }
}
