import { describe, expect, it } from 'vitest';
import { cachedSource, type ChunkSource } from '../../../src/mesh/protocol/chunk-exchange.ts';

const key = (n: number): Uint8Array => new Uint8Array(32).fill(n);

function counting(size: number): { source: ChunkSource; reads: number[] } {
  const reads: number[] = [];
  return {
    reads,
    source: {
      get: (h) => {
        reads.push(h[0] as number);
        return h[0] === 99 ? undefined : new Uint8Array(size).fill(h[0] as number);
      },
    },
  };
}

describe('cachedSource', () => {
  it('reads a chunk from the store once while it fits, least recently served dropped first', async () => {
    const { source, reads } = counting(10);
    const c = cachedSource(source, 25);
    await c.get(key(1));
    await c.get(key(2));
    await c.get(key(1)); // hit; 1 is now the most recent
    await c.get(key(3)); // 30 bytes > 25: drops 2
    await c.get(key(1));
    await c.get(key(2));
    expect(reads).toEqual([1, 2, 3, 2]);
    expect((await c.get(key(3)))?.[0]).toBe(3);
  });

  it('never caches a miss or a chunk larger than the cache', async () => {
    const { source, reads } = counting(30);
    const c = cachedSource(source, 25);
    expect(await c.get(key(99))).toBeUndefined();
    expect(await c.get(key(99))).toBeUndefined();
    await c.get(key(4));
    await c.get(key(4));
    expect(reads).toEqual([99, 99, 4, 4]);
  });

  it('refuses a bad size with what is allowed', () => {
    expect(() => cachedSource(counting(1).source, -1)).toThrow(/non-negative integer/);
  });
});
