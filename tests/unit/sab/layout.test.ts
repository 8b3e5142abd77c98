import { describe, expect, it } from 'vitest';
import {
  ARENA_UNIT_BYTES,
  assertLayout,
  capsuleEntry,
  CONTROL_WORDS,
  computeLayout,
  createBus,
  CTRL,
  HDR,
  inboxOffset,
  LAYOUT_MAGIC,
  LAYOUT_VERSION,
  LIFECYCLE_CODE,
  MAX_WORKERS,
  outboxOffset,
  RING_HEADER_BYTES,
  TIER_BYTES,
  WORKER_SLOT,
  workerReadyValue,
  workerSlot,
  type Layout,
  type Tier,
} from '../../../src/sab/index.ts';

const TIERS: Tier[] = ['light', 'moderate', 'heavy'];

/** Every region as [start, end) so the test can prove they are disjoint and inside the buffer. */
function regions(l: Layout): [string, number, number][] {
  const out: [string, number, number][] = [
    ['header', 0, l.controlOffset],
    ['control', l.controlOffset, l.controlOffset + CONTROL_WORDS * 4],
    ['workers', l.registryOffset, l.registryOffset + l.workers * l.workerSlotBytes],
    ['capsules', l.capsulesOffset, l.capsulesOffset + l.capsuleSlots * l.capsuleEntryBytes],
    ['arenaMeta', l.arenaMetaOffset, l.arenaMetaOffset + l.arenaMetaBytes],
    ['arena', l.arenaOffset, l.arenaOffset + l.arenaBytes],
  ];
  for (let i = 0; i < l.workers; i++) {
    out.push([`inbox${i}`, inboxOffset(l, i), inboxOffset(l, i) + RING_HEADER_BYTES + l.ringBytes]);
    out.push([`outbox${i}`, outboxOffset(l, i), outboxOffset(l, i) + RING_HEADER_BYTES + l.ringBytes]);
  }
  return out;
}

describe('computeLayout', () => {
  it('sizes every tier with disjoint, aligned regions inside the buffer', () => {
    for (const tier of TIERS) {
      for (const workers of [1, 2, 7, 16, MAX_WORKERS]) {
        const l = computeLayout({ tier, workers });
        expect(l.byteLength).toBe(TIER_BYTES[tier]);
        const rs = regions(l).sort((a, b) => a[1] - b[1]);
        for (const [name, start, end] of rs) {
          expect(start % 64, `${tier}/${workers} ${name} aligned`).toBe(0);
          expect(end).toBeLessThanOrEqual(l.byteLength);
        }
        for (let i = 1; i < rs.length; i++) expect(rs[i]![1]).toBeGreaterThanOrEqual(rs[i - 1]![2]);
        expect(l.arenaOffset % 4096).toBe(0);
        expect(l.arenaBytes).toBe(l.arenaUnits * ARENA_UNIT_BYTES);
        // The arena is "the rest": at most one page of alignment slack is lost after it.
        expect(l.byteLength - (l.arenaOffset + l.arenaBytes)).toBeLessThan(4096 + ARENA_UNIT_BYTES);
        expect(l.arenaBytes / l.byteLength).toBeGreaterThan(0.85);
      }
    }
  });

  it('matches the documented tier sizes', () => {
    expect(TIER_BYTES).toEqual({ light: 32 * 2 ** 20, moderate: 64 * 2 ** 20, heavy: 256 * 2 ** 20 });
    expect(LAYOUT_MAGIC).toBe(0x534f4e49);
    expect(LIFECYCLE_CODE).toEqual({ paused: 0, running: 1, draining: 2, suspended: 3, stopped: 4 });
    expect(CTRL.LIFECYCLE).toBe(0);
    expect(CTRL.LIFECYCLE_EPOCH).toBe(1);
    expect(Math.max(...Object.values(CTRL))).toBeLessThan(CONTROL_WORDS);
  });

  it('rejects bad tiers, worker counts and ring sizes with RangeError', () => {
    expect(() => computeLayout({ tier: 'huge' as Tier, workers: 1 })).toThrow(RangeError);
    for (const workers of [0, -1, MAX_WORKERS + 1, 1.5, Number.NaN]) {
      expect(() => computeLayout({ tier: 'light', workers })).toThrow(/workers must be an integer/);
    }
    expect(() => computeLayout({ tier: 'light', workers: 1, ringBytes: 1000 })).toThrow(/power of two/);
    expect(() => computeLayout({ tier: 'light', workers: 32, ringBytes: 2 ** 20 })).toThrow(/leave no arena/);
  });
});

describe('createBus / assertLayout', () => {
  it('round-trips the header', () => {
    const l = computeLayout({ tier: 'light', workers: 3, ringBytes: 4096 });
    const sab = createBus(l);
    expect(new Uint32Array(sab, 0, 1)[0]).toBe(LAYOUT_MAGIC);
    expect(new TextDecoder().decode(new Uint8Array(sab.slice(0, 4)))).toBe('INOS');
    expect(assertLayout(sab)).toEqual(l);
  });

  it('rejects a wrong magic, version, size or a tampered offset', () => {
    const l = computeLayout({ tier: 'light', workers: 2 });
    const fresh = (): SharedArrayBuffer => createBus(l);
    let sab = fresh();
    new Uint32Array(sab)[HDR.MAGIC] = 0x12345678;
    expect(() => assertLayout(sab)).toThrow(/bad magic/);
    sab = fresh();
    new Uint32Array(sab)[HDR.VERSION] = LAYOUT_VERSION + 1;
    expect(() => assertLayout(sab)).toThrow(/version 2 is not supported/);
    sab = fresh();
    new Uint32Array(sab)[HDR.ARENA_OFFSET] = l.arenaOffset + 64;
    expect(() => assertLayout(sab)).toThrow(/arenaOffset/);
    sab = fresh();
    new Uint32Array(sab)[HDR.TIER] = 9;
    expect(() => assertLayout(sab)).toThrow(/unknown tier/);
    sab = fresh();
    new Uint32Array(sab)[HDR.WORKERS] = 0;
    expect(() => assertLayout(sab)).toThrow(/invalid layout/);
    // A header copied into a buffer of another size.
    const small = new SharedArrayBuffer(1024 * 1024);
    new Uint8Array(small).set(new Uint8Array(fresh(), 0, 128));
    expect(() => assertLayout(small)).toThrow(/buffer is 1048576 B but tier light needs/);
    expect(() => assertLayout(new SharedArrayBuffer(16))).toThrow(/smaller than/);
    expect(() => assertLayout(new SharedArrayBuffer(l.byteLength))).toThrow(/not an INOS bus/);
  });

  it('refuses a hand-edited layout object', () => {
    const l = { ...computeLayout({ tier: 'light', workers: 1 }), arenaOffset: 0 };
    expect(() => createBus(l)).toThrow(/arenaOffset was modified/);
  });
});

describe('registry views', () => {
  const l = computeLayout({ tier: 'light', workers: 4 });
  const sab = createBus(l);

  it('gives each worker its own slot', () => {
    for (let i = 0; i < 4; i++) workerSlot(sab, l, i)[WORKER_SLOT.READY] = workerReadyValue(i);
    for (let i = 0; i < 4; i++) expect(workerSlot(sab, l, i)[WORKER_SLOT.READY]).toBe(0x5ead0000 | i);
    expect(() => workerSlot(sab, l, 4)).toThrow(RangeError);
    expect(() => workerSlot(sab, l, -1)).toThrow(RangeError);
    expect(() => workerReadyValue(MAX_WORKERS)).toThrow(RangeError);
    expect(new Set(Array.from({ length: MAX_WORKERS }, (_, i) => workerReadyValue(i))).size).toBe(
      MAX_WORKERS,
    );
    expect(workerReadyValue(0)).not.toBe(0);
  });

  it('bounds capsule entries', () => {
    expect(capsuleEntry(sab, l, l.capsuleSlots - 1).length).toBe(l.capsuleEntryBytes / 4);
    expect(() => capsuleEntry(sab, l, l.capsuleSlots)).toThrow(RangeError);
  });
});
