/**
 * gRPC status codes and the error a call fails with. No imports, so errors.ts can classify a
 * failure without loading the transport (node:http2) or protobuf.
 */

/** The gRPC status codes (grpc/doc/statuscodes.md), by name. */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const NAMES: readonly string[] = Object.keys(GRPC_STATUS);

/** `NOT_FOUND` for 5; the number as text for a code outside the table. */
export function grpcStatusName(code: number): string {
  return NAMES[code] ?? String(code);
}

/**
 * A call that ended with a status other than OK. The shape errors.ts and retry.ts read: the
 * numeric `code` and the daemon's (or the transport's) `details`.
 */
export class GrpcError extends Error {
  readonly code: number;
  readonly details: string;
  constructor(code: number, details: string) {
    super(`${code} ${grpcStatusName(code)}: ${details}`);
    this.name = "GrpcError";
    this.code = code;
    this.details = details;
  }
}

/**
 * The status of a response that carries no `grpc-status`: derived from its HTTP status as the
 * gRPC HTTP/2 protocol spec maps them (http-grpc-status-mapping.md).
 */
export function statusFromHttp(httpStatus: number): GrpcError {
  const code = (() => {
    switch (httpStatus) {
      case 400:
        return GRPC_STATUS.INTERNAL;
      case 401:
        return GRPC_STATUS.UNAUTHENTICATED;
      case 403:
        return GRPC_STATUS.PERMISSION_DENIED;
      case 404:
        return GRPC_STATUS.UNIMPLEMENTED;
      case 429:
      case 502:
      case 503:
      case 504:
        return GRPC_STATUS.UNAVAILABLE;
      default:
        return GRPC_STATUS.UNKNOWN;
    }
  })();
  return new GrpcError(code, `Received HTTP status code ${httpStatus}`);
}

/**
 * `grpc-message` is percent-encoded UTF-8 (the spec: every byte outside 0x20–0x7E and `%` itself).
 * A malformed escape leaves the text as it came rather than losing the daemon's message.
 */
export function decodeGrpcMessage(raw: string): string {
  if (!raw.includes("%")) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
