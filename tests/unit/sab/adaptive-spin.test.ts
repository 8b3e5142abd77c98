import { describe, expect, it } from 'vitest';
import { AdaptiveSpin } from '../../../src/sab/adaptive-spin.ts';

/** Which of `calls` spins polled `ready` at all (a skipped spin returns without polling). */
function polled(spin: AdaptiveSpin, calls: number, maxUs: number, readyAt: (call: number) => boolean) {
  const out: boolean[] = [];
  for (let c = 0; c < calls; c++) {
    let polls = 0;
    const hit = spin.spin(maxUs, () => {
      polls++;
      return readyAt(c);
    });
    expect(hit).toBe(polls > 0 && readyAt(c));
    out.push(polls > 0);
  }
  return out;
}

describe('AdaptiveSpin', () => {
  it('returns at once when ready, and never spins for a bound of 0 or NaN', () => {
    const s = new AdaptiveSpin();
    expect(s.spin(50, () => true)).toBe(true);
    let polls = 0;
    expect(s.spin(0, () => ++polls > 0)).toBe(false);
    expect(s.spin(Number.NaN, () => ++polls > 0)).toBe(false);
    expect(polls).toBe(0);
  });

  it('halves after each miss, then only probes every 16th call; a missed probe stays collapsed', () => {
    const s = new AdaptiveSpin();
    const p = polled(s, 4 + 16 + 16, 8, () => false);
    // 8, 4, 2, 1 µs spins, then skips (budget 0.5 µs) until the 16th call since, which probes.
    expect(p.slice(0, 4)).toEqual([true, true, true, true]);
    expect(p.slice(4, 19).every((x) => !x)).toBe(true);
    expect(p[19]).toBe(true);
    expect(p.slice(20, 35).every((x) => !x)).toBe(true);
    expect(p[35]).toBe(true);
  });

  it('a probe that catches its condition restores the full bound', () => {
    const s = new AdaptiveSpin();
    polled(s, 4, 8, () => false); // collapsed
    const p = polled(s, 17, 8, (c) => c === 15); // the 16th call probes and hits
    expect(p.slice(0, 15).every((x) => !x)).toBe(true);
    expect(p[15]).toBe(true);
    expect(p[16]).toBe(true); // spins again at the full bound
  });
});
