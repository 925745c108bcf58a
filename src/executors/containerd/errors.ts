import type { Address } from "../../model/address.js";
import { type ErrorCode, KukeError } from "../../model/errors.js";
import { GRPC_STATUS, grpcStatusName } from "./grpc-status.js";

/**
 * The one place that reads a gRPC error from containerd. Everything above this adapter branches on
 * `KukeError.code`; the daemon's own text is kept in `detail` for people.
 */

/** What a call rejects with (grpc-status.ts's GrpcError, or anything of its shape). */
interface ServiceError {
  code: number;
  details?: string;
}

function isServiceError(e: unknown): e is ServiceError {
  return typeof e === "object" && e !== null && "code" in e && typeof (e as { code: unknown }).code === "number";
}

/** True for gRPC UNAVAILABLE: containerd's socket is gone or refuses (it is restarting, or not running). */
export function isGrpcUnavailable(e: unknown): boolean {
  return isServiceError(e) && e.code === GRPC_STATUS.UNAVAILABLE;
}

/** The gRPC status name of a raw error (`ALREADY_EXISTS`…), or undefined when it is no gRPC status. */
export function grpcCodeName(e: unknown): string | undefined {
  return isServiceError(e) ? grpcStatusName(e.code) : undefined;
}

function codeFor(grpcCode: number): ErrorCode {
  const GrpcStatus = GRPC_STATUS;
  switch (grpcCode) {
    case GrpcStatus.NOT_FOUND:
      return "not-found";
    case GrpcStatus.ALREADY_EXISTS:
      return "already-exists";
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
      return "unavailable";
    case GrpcStatus.FAILED_PRECONDITION:
      return "failed-precondition";
    default:
      return "runtime";
  }
}

/**
 * Turns whatever a gRPC call rejected with into a KukeError. `what` names the operation for the
 * summary (e.g. `containerd Tasks.Create app`). A KukeError passes through unchanged.
 */
export function classifyGrpcError(e: unknown, what: string, address?: Address): KukeError {
  if (e instanceof KukeError) return e;
  if (isServiceError(e)) {
    const code = codeFor(e.code);
    const grpcName = grpcStatusName(e.code);
    const remedy =
      code === "unavailable"
        ? "check that containerd is running and that --containerd-address points at its socket"
        : undefined;
    return new KukeError(code, `${what}: ${grpcName.toLowerCase().replace(/_/g, " ")}`, {
      address,
      detail: e.details || undefined,
      remedy,
      cause: e,
    });
  }
  return new KukeError("runtime", `${what} failed`, {
    address,
    detail: e instanceof Error ? e.message : String(e),
    cause: e,
  });
}

/**
 * The bundle directory named by a `Tasks.Create` that failed because the directory is still there
 * (`failed to start shim: mkdir <bundle>: file exists`): what an abandoned create leaves (see
 * abandoned-task.ts). Undefined for any other failure.
 */
export function leftoverBundleOf(e: unknown): string | undefined {
  if (!(e instanceof KukeError) || e.detail === undefined) return undefined;
  return /mkdir (\/\S+): file exists/.exec(e.detail)?.[1];
}

/**
 * A `Snapshots.Prepare` that met a directory of the overlay snapshotter left by a containerd killed
 * in the middle of an earlier Prepare (the directory was renamed into place, the snapshotter's
 * metadata rolled back, so the next snapshot gets the same id): `failed to rename: rename
 * <new-…> <snapshots/N>: file exists`. containerd removes that directory as the attempt fails.
 */
export function isLeftoverSnapshotDir(e: unknown): boolean {
  if (!(e instanceof KukeError) || e.detail === undefined) return false;
  return /failed to rename: rename \S+ \S+: (file exists|directory not empty)/.test(e.detail);
}

/**
 * `Tasks.Start` of a task whose created process is already gone (`cannot start a stopped
 * process`): what a start cut off by a containerd restart leaves, the shim having killed the
 * `runc start` it was running when containerd's connection dropped.
 */
export function isStoppedBeforeStart(e: unknown): boolean {
  if (!(e instanceof KukeError) || e.detail === undefined) return false;
  return /cannot start a stopped process/.test(e.detail);
}
