import { describe, it } from 'vitest';
import { baseSeed, withSeed } from './_prng.ts';
import { ringMutationCase, ringSequenceCase } from './_ring-props.ts';

const SEED = baseSeed(0x5eed_0001);

describe('RingBuffer properties', () => {
  it('keeps FIFO order, never drops, never refuses a frame that fits (1,500 random sequences)', () => {
    for (let i = 0; i < 1500; i++) withSeed(SEED + i, `ring sequence case ${i}`, ringSequenceCase);
  });

  it('turns corrupted ring state into RingCorruptError, never an out-of-bounds read (1,000 cases)', () => {
    for (let i = 0; i < 1000; i++)
      withSeed(SEED + 1_000_000 + i, `ring mutation case ${i}`, ringMutationCase);
  });
});
