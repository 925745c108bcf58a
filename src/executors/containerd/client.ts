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
import { classifyGrpcError } from "./errors.js";

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
 * The service's definition, parsed from its .proto file the first time the service is used: a
 * refresh needs three of the nine services, and parsing is most of the client's start-up cost.
 */
function serviceDefinition(service: ServiceName): ServiceDefinition {
  let d = definitions.get(service);
  if (d === undefined) {
    const { loadSync } = requireCjs("@grpc/proto-loader") as typeof import("@grpc/proto-loader");
    // Longs as Number: sizes and offsets stay far below 2^53; enums as their names.
    d = loadSync(`containerd/services/${service}.proto`, {
      includeDirs: [protoDir()],
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    definitions.set(service, d);
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
   * Deadline for the first connection in `ready()`, in milliseconds.
   * @default 5000
   */
  connectTimeoutMs?: number;
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

export class ContainerdClient {
  readonly address: string;
  private readonly stubs = new Map<ServiceName, Client>();
  private readonly channelOptions: ChannelOptions = {
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  };
  private closed = false;

  constructor(address: string) {
    this.address = toGrpcAddress(address);
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

  /** One request, one response, bounded by `opts.timeoutMs`; failures come back as KukeError. */
  unary<Res>(service: ServiceName, method: string, req: object, opts: CallOptions): Promise<Res> {
    const stub = this.stub(service) as unknown as Record<string, UnaryFn>;
    const fn = stub[method];
    if (typeof fn !== "function") throw new KukeError("runtime", `no method ${service}.${method} in kuke's protos`);
    const deadline = new Date(Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS));
    return new Promise<Res>((resolve, reject) => {
      fn.call(stub, req, this.metadata(opts), { deadline }, (err, res) => {
        if (err) reject(classifyGrpcError(err, `containerd ${SERVICES[service].split(".").pop()}.${method}`));
        else resolve(res as Res);
      });
    });
  }

  /** A server stream collected into an array (Snapshots.List, Content.Read). */
  collect<Item>(service: ServiceName, method: string, req: object, opts: CallOptions): Promise<Item[]> {
    const stub = this.stub(service) as unknown as Record<
      string,
      (req: unknown, md: Metadata, o: { deadline: Date }) => ClientReadableStream<Item>
    >;
    const deadline = new Date(Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS));
    const stream = stub[method]!.call(stub, req, this.metadata(opts), { deadline });
    return new Promise((resolve, reject) => {
      const items: Item[] = [];
      stream.on("data", (d: Item) => items.push(d));
      stream.on("error", (e) => reject(classifyGrpcError(e, `containerd ${service}.${method}`)));
      stream.on("end", () => resolve(items));
    });
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
