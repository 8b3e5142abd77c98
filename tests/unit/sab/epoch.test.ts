import { describe, expect, it } from 'vitest';
import {
  bumpEpoch,
  canBlock,
  readEpoch,
  waitEpochChange,
  waitEpochChangeAsync,
} from '../../../src/sab/index.ts';

describe('epoch', () => {
  it('bumps and reads', () => {
    const w = new Int32Array(new SharedArrayBuffer(8));
    expect(bumpEpoch(w, 1)).toBe(1);
    expect(bumpEpoch(w, 1)).toBe(2);
    expect(readEpoch(w, 1)).toBe(2);
    w[1] = 0x7fffffff;
    expect(bumpEpoch(w, 1)).toBe(-0x80000000); // wraps; waiters compare for inequality only
  });

  it('waits synchronously on Node threads', () => {
    expect(canBlock()).toBe(true);
    const w = new Int32Array(new SharedArrayBuffer(4));
    expect(waitEpochChange(w, 0, 0, 10)).toBe('timed-out');
    expect(waitEpochChange(w, 0, 5, 10)).toBe('changed');
  });

  it('waits asynchronously and can be aborted', async () => {
    const w = new Int32Array(new SharedArrayBuffer(4));
    setTimeout(() => bumpEpoch(w, 0), 5);
    expect(await waitEpochChangeAsync(w, 0, 0, 2000)).toBe('changed');
    expect(await waitEpochChangeAsync(w, 0, 1, 10)).toBe('timed-out');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 5);
    await expect(waitEpochChangeAsync(w, 0, 1, 5000, ac.signal)).rejects.toThrow(/abort/i);
  });
});
