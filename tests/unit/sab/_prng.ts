/** Seeded PRNG for property tests (mulberry32: tiny, fast, good enough for test-case generation). */
import { prng } from '../_prng.ts';

export interface Prng {
  readonly seed: number;
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  /** Log-uniform integer in [lo, hi]: as many small sizes as large ones, like real payloads. */
  logInt(lo: number, hi: number): number;
  bool(pTrue?: number): boolean;
  bytes(n: number): Uint8Array;
  pick<T>(items: readonly T[]): T;
}

export function mulberry32(seed: number): Prng {
  const next = prng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return {
    seed: seed >>> 0,
    next,
    int,
    logInt: (lo, hi) =>
      Math.min(hi, Math.floor(Math.exp(Math.log(lo) + next() * (Math.log(hi + 1) - Math.log(lo))))),
    bool: (pTrue = 0.5) => next() < pTrue,
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = (next() * 256) | 0;
      return out;
    },
    pick: (items) => {
      const item = items[int(0, items.length - 1)];
      if (item === undefined) throw new RangeError('pick: empty list');
      return item;
    },
  };
}

/**
 * The run's base seed: SAB_SEED from the environment when set (to replay a failure), else `fallback`.
 * Fast suites pass a constant fallback so they are deterministic; slow suites pass a fresh one.
 */
export function baseSeed(fallback: number): number {
  const env = typeof process !== 'undefined' ? process.env['SAB_SEED'] : undefined;
  return env !== undefined && env !== '' ? Number(env) >>> 0 : fallback >>> 0;
}

/** Runs `body` and, if it throws, rethrows with the seed (and how to replay it) in the message. */
export function withSeed<T>(seed: number, label: string, body: (rng: Prng) => T): T {
  try {
    return body(mulberry32(seed));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`${label} failed with seed ${seed >>> 0} (replay: SAB_SEED=${seed >>> 0}): ${msg}`, {
      cause: e,
    });
  }
}
