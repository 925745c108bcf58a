import { type Address, formatAddress } from "./address.js";

/**
 * Stable error codes. Callers branch on `code`, never on message text. Exit codes follow
 * DESIGN §5; `exitCode` on each error says which one a command should end with.
 */
export type ErrorCode =
  | "invalid-spec"
  | "usage"
  | "not-found"
  | "already-exists"
  | "unavailable"
  | "failed-precondition"
  | "busy"
  | "retryable"
  | "lock-held"
  | "stale-plan"
  | "guard"
  | "cancelled"
  | "permission"
  | "runtime";

const EXIT_CODES: Record<ErrorCode, number> = {
  "invalid-spec": 65,
  usage: 64,
  "not-found": 1,
  "already-exists": 1,
  unavailable: 1,
  "failed-precondition": 1,
  busy: 1,
  retryable: 1,
  "lock-held": 6,
  "stale-plan": 4,
  guard: 5,
  cancelled: 8,
  permission: 1,
  runtime: 1,
};

export interface KukeErrorOptions {
  /** The resource this is about, when known. */
  address?: Address | undefined;
  /** More lines for a person: what was seen, what was expected. */
  detail?: string | undefined;
  /** What to do about it, ideally a command to run. */
  remedy?: string | undefined;
  cause?: unknown;
}

/**
 * The base of every error kuke means to show a user. Printed without a stack trace; anything that
 * is not a KukeError is a bug and is printed as one.
 */
export class KukeError extends Error {
  readonly code: ErrorCode;
  readonly address: Address | undefined;
  readonly detail: string | undefined;
  readonly remedy: string | undefined;

  constructor(code: ErrorCode, summary: string, options: KukeErrorOptions = {}) {
    super(summary, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = "KukeError";
    this.code = code;
    this.address = options.address;
    this.detail = options.detail;
    this.remedy = options.remedy;
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }

  /** One block of text for a terminal: `Error: [address: ]summary`, detail, remedy. */
  format(): string {
    const where = this.address ? `${formatAddress(this.address)}: ` : "";
    const lines = [`Error: ${where}${this.message}`];
    if (this.detail) lines.push(...this.detail.split("\n").map((l) => `  ${l}`));
    if (this.remedy) lines.push(`  Remedy: ${this.remedy}`);
    return lines.join("\n");
  }
}

export function isKukeError(e: unknown, code?: ErrorCode): e is KukeError {
  return e instanceof KukeError && (code === undefined || e.code === code);
}
