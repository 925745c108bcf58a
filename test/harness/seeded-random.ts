/**
 * A seeded random source for generative tests: the seed comes from `envVar` (to replay a failure)
 * or the clock, and is printed so any run can be repeated exactly.
 */

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function mulberry32(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SeededRandom {
  seed: number;
  /** A number in [0, 1). */
  random: () => number;
  /** An integer in [0, n). */
  int: (n: number) => number;
  pick: <T>(xs: readonly T[]) => T;
  /**
   * A random object or array inside `root` (root itself included), for mutating a parsed document:
   * walks down random keys, at most `depth` levels, stopping at each level with chance `stop`.
   */
  someNode<T>(root: T, depth: number, stop: number): Record<string, T> | T[] | undefined;
}

/** The seed from `envVar`, else the clock; prints `<label>: seed N (ENV=N to replay)`. */
export function seededRandom(label: string, envVar: string): SeededRandom {
  const seed = process.env[envVar] !== undefined ? Number(process.env[envVar]) : Date.now() % 2 ** 31;
  process.stdout.write(`${label}: seed ${seed} (${envVar}=${seed} to replay)\n`);
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  function someNode<T>(root: T, depth: number, stop: number): Record<string, T> | T[] | undefined {
    let cur: unknown = root;
    let found: Record<string, T> | T[] | undefined;
    for (let d = 0; d < depth && cur !== null && typeof cur === "object"; d++) {
      found = cur as Record<string, T> | T[];
      const keys = Object.keys(found);
      if (keys.length === 0 || random() < stop) break;
      cur = (found as Record<string, T>)[pick(keys)];
    }
    return found;
  }
  return { seed, random, int, pick, someNode };
}
