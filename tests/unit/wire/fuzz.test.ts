/** Property tests over random and mutated frames (fast run; tests/slow/wire runs 100,000+ cases). */
import { describe, expect, it } from 'vitest';
import { runFuzz } from './_support/fuzz.ts';
import { withSeed } from './_support/prng.ts';

const CASES = 3000;

describe('decoders on arbitrary bytes', () => {
  it(`${CASES} random/mutated frames x 8 decoders: value or FrameError, never anything else`, () => {
    const stats = withSeed('wire fuzz', (rng) => runFuzz(rng, CASES));
    console.info(
      `[wire fuzz] ${stats.cases} cases, ${stats.decodes} decodes, ${stats.ok} ok, errors ${JSON.stringify(stats.errors)}`,
    );
    // The generator must reach past the segment table: both successes and deep errors occur.
    expect(stats.ok).toBeGreaterThan(stats.decodes / 20);
    for (const code of ['truncated', 'out-of-bounds', 'pointer-kind', 'text', 'segment-table']) {
      expect(
        stats.errors[code] ?? 0,
        `no '${code}' errors: the fuzzer is not reaching that check`,
      ).toBeGreaterThan(0);
    }
  });
});
