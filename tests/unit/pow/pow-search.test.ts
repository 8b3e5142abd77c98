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

  // Relative bounds: the search checks its signal and budget every ~8 ms batch, so it stops within a small
  // fraction of the time it ran; one that ignored them would run for hours. Absolute limits would fail on a
  // busy machine without saying anything about the code.
  it('acts on abort within a fraction of the time it had been running', async () => {
    const ctrl = new AbortController();
    const started = performance.now();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      ctrl.abort();
    }, 150);
    const r = await powSearch(impossible, { signal: ctrl.signal });
    const latency = performance.now() - abortedAt;
    expect(r.stopped).toBe('cancelled');
    expect(r.hashes).toBeGreaterThan(0);
    expect(latency).toBeLessThan((abortedAt - started) / 2);
  });

  it('returns at once when already aborted', async () => {
    const r = await powSearch(impossible, { signal: AbortSignal.abort() });
    expect(r).toEqual({ found: false, nonce: null, hash: null, hashes: 0, stopped: 'cancelled' });
  });

  it('stops on its budget', async () => {
    const t0 = performance.now();
    const r = await powSearch(impossible, { budgetMs: 120 });
    const took = performance.now() - t0;
    expect(r.stopped).toBe('budget');
    expect(took).toBeGreaterThanOrEqual(120);
    expect(took / 120).toBeLessThan(2);
  });
});
