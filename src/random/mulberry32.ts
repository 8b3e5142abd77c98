/**
 * mulberry32: a tiny seeded PRNG, one implementation for the whole tree — reproducible tests (the seed
 * is printed on failure), the mesh simulator, and deterministic job generators (a job is a pure function
 * of its seed wherever it is built).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
