/**
 * Seeded PRNG for property tests. The seed comes from WIRE_SEED when set (to replay a failure),
 * otherwise from the clock; `withSeed` adds it to any failure message.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  u32(): number;
  u64(): bigint;
  pick<T>(items: readonly T[]): T;
  bool(p?: number): boolean;
  bytes(n: number): Uint8Array;
}

/** sfc32: small, fast, well-distributed; 128-bit state from a 32-bit seed. */
export function makeRng(seed: number): Rng {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 16; i++) u32();
  const rng: Rng = {
    u32,
    next: () => u32() / 2 ** 32,
    int: (n) => Math.floor((u32() / 2 ** 32) * n),
    u64: () => (BigInt(u32()) << 32n) | BigInt(u32()),
    pick: <T>(items: readonly T[]): T => {
      const item = items[rng.int(items.length)];
      if (item === undefined) throw new Error('pick from empty list');
      return item;
    },
    bool: (p = 0.5) => u32() / 2 ** 32 < p,
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = u32() & 0xff;
      return out;
    },
  };
  return rng;
}

export function testSeed(): number {
  const env = process.env.WIRE_SEED;
  return env !== undefined && env !== '' ? Number(env) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** Runs `fn` with a seeded Rng; on failure rethrows with the seed and how to replay it. */
export function withSeed<T>(name: string, fn: (rng: Rng, seed: number) => T, seed = testSeed()): T {
  try {
    return fn(makeRng(seed), seed);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const wrapped = new Error(`${name} failed with seed ${seed} (replay: WIRE_SEED=${seed}): ${msg}`, {
      cause: err,
    });
    console.error(wrapped.message);
    throw wrapped;
  }
}
