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
}

/** The seed from `envVar`, else the clock; prints `<label>: seed N (ENV=N to replay)`. */
export function seededRandom(label: string, envVar: string): SeededRandom {
  const seed = process.env[envVar] !== undefined ? Number(process.env[envVar]) : Date.now() % 2 ** 31;
  process.stdout.write(`${label}: seed ${seed} (${envVar}=${seed} to replay)\n`);
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  return { seed, random, int, pick: (xs) => xs[int(xs.length)]! };
}
