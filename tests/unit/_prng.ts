/** mulberry32 (src/random): a tiny seeded PRNG so property tests are reproducible (the seed is printed on failure). */
import { mulberry32 } from '../../src/random/mulberry32';
export const prng = mulberry32;

export function seedFromEnv(fallback: number): number {
  const s = Number(process.env.SEED);
  return Number.isFinite(s) && process.env.SEED !== undefined ? s : fallback;
}
