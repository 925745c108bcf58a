/**
 * The bounds on what the loader reads, in one place. Each is far above what a real manifest needs
 * and low enough that no input can make validation hang, exhaust memory or overflow the stack; a
 * manifest over a bound is refused with a diagnostic naming the bound.
 */

/** Bytes of one manifest file (or standard input). kubectl's own request limit is 3 MiB. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** YAML documents in one file, empty ones included. */
export const MAX_DOCUMENTS = 10_000;

/**
 * Nesting of mappings and lists inside a document, after aliases are expanded. kuke's own
 * schema is at most 8 deep (spec.network.egress.allow[].ports[]).
 */
export const MAX_DEPTH = 64;

/**
 * Nesting the quick pre-scan tolerates before it refuses a file without parsing it: the YAML
 * parser's cost per nesting level is high, so a file that is mostly `[[[[…` is refused up front.
 * The pre-scan over-counts (about two per block level), so this sits well above MAX_DEPTH.
 */
export const PRESCAN_DEPTH = 1_000;

/** Expanded nodes per file; real manifests use a few thousand, alias bombs billions. */
export const NODE_BUDGET = 400_000;

/** Characters of expanded scalars per file: an alias repeated a million times can be huge. */
export const SCALAR_BUDGET = 16 * 1024 * 1024;

/** "4 MiB", "16 MiB", "900 bytes": sizes in messages. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
