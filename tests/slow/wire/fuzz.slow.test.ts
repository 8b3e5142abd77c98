/**
 * Soak version of tests/unit/wire/fuzz.test.ts: 120,000 random/mutated frames x 8 decoders.
 * Run: npx vitest run --config vitest.slow.config.ts tests/slow/wire (WIRE_SEED=<n> to replay).
 */
import { describe, expect, it } from 'vitest';
import { runFuzz } from '../../unit/wire/_support/fuzz.ts';
import { testSeed, withSeed } from '../../unit/wire/_support/prng.ts';

const CASES_PER_SEED = 30_000;
const SEEDS = 4;

describe('decoders on arbitrary bytes (soak)', () => {
  const base = testSeed();
  it.each(Array.from({ length: SEEDS }, (_, i) => (base + i * 0x9e3779b9) >>> 0))(
    `${CASES_PER_SEED} cases with seed %i`,
    (seed) => {
      const t0 = performance.now();
      const stats = withSeed('wire fuzz soak', (rng) => runFuzz(rng, CASES_PER_SEED), seed);
      const ms = performance.now() - t0;
      console.info(
        `[wire fuzz soak] seed ${seed}: ${stats.decodes} decodes in ${ms.toFixed(0)} ms, ${stats.ok} ok, ${JSON.stringify(stats.errors)}`,
      );
      expect(stats.ok).toBeGreaterThan(0);
    },
    120_000,
  );
});
