/** mulberry32: a tiny seeded PRNG so property tests are reproducible (the seed is printed on failure). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedFromEnv(fallback: number): number {
  const s = Number(process.env.SEED);
  return Number.isFinite(s) && process.env.SEED !== undefined ? s : fallback;
}
