import { describe, expect, it } from 'vitest';
import { powSearch } from '../../../src/capsules/pow/index.ts';
import { BLOCK_VECTORS } from '../../../src/capsules/pow/vectors.ts';

const impossible = { header: 'cd'.repeat(80), nonceStart: 0, count: 2 ** 32, target: '0'.repeat(63) + '1' };

describe('powSearch (async, AbortSignal, budget)', () => {
  it('finds block 125552’s nonce with the nonce zeroed', async () => {
    const v = BLOCK_VECTORS[3]!;
    const header = v.header.slice(0, 152) + '00000000';
    const r = await powSearch({ header, nonceStart: v.nonce - 1500, count: 3000, bits: v.bits });
    expect(r).toEqual({ found: true, nonce: v.nonce, hash: v.hash, hashes: 1501, stopped: null });
  });

  it('validates before doing any work', async () => {
    await expect(powSearch({ header: 'x', nonceStart: 0, count: 1 })).rejects.toThrow(RangeError);
  });

  it('acts on abort within 100 ms', async () => {
    const ctrl = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      ctrl.abort();
    }, 150);
    const r = await powSearch(impossible, { signal: ctrl.signal });
    const latency = performance.now() - abortedAt;
    expect(r.stopped).toBe('cancelled');
    expect(r.hashes).toBeGreaterThan(0);
    expect(latency).toBeLessThan(100);
  });

  it('returns at once when already aborted', async () => {
    const r = await powSearch(impossible, { signal: AbortSignal.abort() });
    expect(r).toEqual({ found: false, nonce: null, hash: null, hashes: 0, stopped: 'cancelled' });
  });

  it('stops on its budget', async () => {
    const t0 = performance.now();
    const r = await powSearch(impossible, { budgetMs: 120 });
    expect(r.stopped).toBe('budget');
    expect(performance.now() - t0).toBeLessThan(120 + 100);
  });
});
