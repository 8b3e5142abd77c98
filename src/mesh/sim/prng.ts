/** mulberry32 (src/random, also behind tests/unit/_prng.ts) and small helpers on it. */
import { mulberry32 } from '../../random/mulberry32';
export type Rand = () => number;

export { mulberry32 };

export function randInt(rand: Rand, n: number): number {
  return Math.floor(rand() * n);
}

export function pick<T>(rand: Rand, xs: readonly T[]): T {
  if (xs.length === 0) throw new RangeError('pick from an empty list');
  return xs[randInt(rand, xs.length)] as T;
}

export function shuffle<T>(rand: Rand, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = randInt(rand, i + 1);
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

export function randomBytes(rand: Rand, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = randInt(rand, 256);
  return out;
}

/** Log-normal sample with the given median (Box–Muller on two uniforms). */
export function logNormal(rand: Rand, median: number, sigma: number): number {
  const u = Math.max(rand(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  return median * Math.exp(sigma * z);
}
