/**
 * TransferHold (src/offscreen/transfer-hold.ts) on a fake clock: one hold per burst of transfers,
 * a LINGER_MS linger before the release, released on every path (transfers ending, dispose, the
 * MAX_HOLD_MS backstop), and proof-of-work time over a long idle period is untouched (no leak).
 * Seeded: the random transfer schedule prints its seed.
 */
import { describe, expect, it } from 'vitest';
import { LINGER_MS, MAX_HOLD_MS, TransferHold } from '../../../src/offscreen/transfer-hold';
import { mulberry32 } from '../../../src/mesh/sim/prng';
import { seedFromEnv } from '../_prng';

/** A fake clock with timers, and an engine-like hold counter. */
function rig(opts: { engine?: boolean } = {}) {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let holds = 0;
  const log: string[] = [];
  const hold = new TransferHold({
    now: () => now,
    setTimer: (fn, ms) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimer: (t) => timers.delete(t as number),
    hold: () => {
      if (opts.engine === false) return null;
      holds++;
      log.push(`hold@${now}`);
      let done = false;
      return () => {
        if (done) throw new Error('released twice');
        done = true;
        holds--;
        log.push(`release@${now}`);
      };
    },
  });
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      timers.delete(next[0]);
      now = next[1].at;
      next[1].fn();
    }
    now = end;
  };
  return { hold, advance, held: () => holds, log, timers: () => timers.size };
}

describe('TransferHold', () => {
  it('holds on the first transfer, lingers LINGER_MS after the last, then releases', () => {
    const r = rig();
    r.hold.update(1);
    expect(r.held()).toBe(1);
    r.advance(300);
    r.hold.update(0);
    r.advance(LINGER_MS - 1);
    expect([r.held(), r.hold.heldForMs()]).toEqual([1, 300 + LINGER_MS - 1]);
    r.advance(1);
    expect([r.held(), r.hold.held, r.hold.heldForMs()]).toEqual([0, false, 0]);
    expect(r.timers()).toBe(0);
  });

  it('a pipelined set of wants (gaps under the linger) is one hold, not many', () => {
    const r = rig();
    for (let i = 0; i < 20; i++) {
      r.hold.update(1);
      r.hold.update(2);
      r.advance(50);
      r.hold.update(1);
      r.hold.update(0);
      r.advance(LINGER_MS - 100);
    }
    expect([r.hold.holds, r.held()]).toEqual([1, 1]);
    expect(r.hold.heldForMs()).toBe(20 * (50 + LINGER_MS - 100));
    r.advance(100);
    expect(r.held()).toBe(0);
  });

  it('dispose releases at once and takes no more holds', () => {
    const r = rig();
    r.hold.update(3);
    r.hold.dispose();
    expect(r.held()).toBe(0);
    r.hold.update(4);
    r.advance(10_000);
    expect([r.held(), r.hold.holds, r.timers()]).toEqual([0, 1, 0]);
  });

  it('a count that never ends is released after MAX_HOLD_MS, and not held again until it reaches 0', () => {
    const r = rig();
    r.hold.update(1);
    r.advance(MAX_HOLD_MS);
    expect([r.held(), r.hold.capped]).toEqual([0, 1]);
    r.hold.update(2);
    r.advance(MAX_HOLD_MS);
    expect([r.held(), r.hold.holds]).toEqual([0, 1]);
    r.hold.update(0);
    r.hold.update(1);
    expect([r.held(), r.hold.holds]).toEqual([1, 2]);
  });

  it('with no engine yet nothing is held and nothing breaks', () => {
    const r = rig({ engine: false });
    r.hold.update(1);
    r.hold.update(0);
    r.advance(LINGER_MS * 4);
    expect([r.hold.held, r.hold.holds, r.timers()]).toEqual([false, 0, 0]);
  });

  const SEED = seedFromEnv(20261128);
  it(`random transfers over a long day: held exactly while transfers run plus lingers; idle time is never held (seed ${SEED})`, () => {
    console.info(`[transfer-hold] seed ${SEED}`);
    const rand = mulberry32(SEED);
    const r = rig();
    let heldMs = 0;
    let expectedHeldMs = 0;
    let lastEnd = -Infinity;
    let active = 0;
    const step = 10;
    // 2 h of fake time: bursts of 1-6 transfers of 0.1-5 s, idle gaps of 0.1-60 s.
    let t = 0;
    const events: Array<{ at: number; d: number }> = [];
    while (t < 2 * 3600_000) {
      const n = 1 + Math.floor(rand() * 6);
      for (let i = 0; i < n; i++) {
        const start = t + Math.floor(rand() * 1000);
        const len = 100 + Math.floor(rand() * 4900);
        events.push({ at: start, d: +1 }, { at: start + len, d: -1 });
      }
      t += 6000 + Math.floor(rand() * 60_000);
    }
    events.sort((a, b) => a.at - b.at || a.d - b.d);
    // The expected held time: the union of [start, end + LINGER_MS) over busy intervals.
    let busyFrom = -1;
    let depth = 0;
    const busy: Array<[number, number]> = [];
    for (const e of events) {
      if (depth === 0 && e.d > 0) busyFrom = e.at;
      depth += e.d;
      if (depth === 0) busy.push([busyFrom, e.at]);
    }
    let cur: [number, number] | null = null;
    for (const [a, b] of busy) {
      if (cur && a < cur[1]) cur[1] = b + LINGER_MS;
      else {
        if (cur) expectedHeldMs += cur[1] - cur[0];
        cur = [a, b + LINGER_MS];
      }
    }
    if (cur) expectedHeldMs += cur[1] - cur[0];
    let ei = 0;
    for (let now = 0; now < t + 10_000; now += step) {
      while (ei < events.length && events[ei]!.at <= now) {
        active += events[ei]!.d;
        r.hold.update(active);
        ei++;
      }
      if (r.held() > 0) heldMs += step;
      r.advance(step);
      lastEnd = now;
    }
    void lastEnd;
    expect(r.held()).toBe(0);
    expect(r.timers()).toBe(0);
    expect(r.hold.capped).toBe(0);
    // Step-sampled: within one step per hold of the exact union.
    expect(Math.abs(heldMs - expectedHeldMs)).toBeLessThanOrEqual(2 * step * r.hold.holds);
    // Proof-of-work time over the day = total − held: the idle gaps are all there.
    const total = t + 10_000;
    expect(total - heldMs).toBeGreaterThan(total - expectedHeldMs - 2 * step * r.hold.holds);
    expect(r.hold.holds).toBe(
      busy.reduce((n, [a], i) => n + (i === 0 || a >= busy[i - 1]![1] + LINGER_MS ? 1 : 0), 0),
    );
  });
});
