import { describe, expect, it } from 'vitest';
import {
  Arena,
  ArenaExhaustedError,
  ArenaRefError,
  ARENA_UNIT_BYTES,
  computeLayout,
  createBus,
  CTRL,
  controlWords,
} from '../../../src/sab/index.ts';
import { arenaEfficiency, arenaModelCase } from './_arena-props.ts';
import { baseSeed, mulberry32, withSeed } from './_prng.ts';

const SEED = baseSeed(0x5eed_0002);

describe('Arena', () => {
  it('allocates zero-copy views into the bus buffer', () => {
    const l = computeLayout({ tier: 'light', workers: 2 });
    const sab = createBus(l);
    const arena = new Arena(sab, l);
    const ref = arena.alloc(1000);
    expect(ref.offset).toBeGreaterThanOrEqual(l.arenaOffset);
    expect(ref.offset % ARENA_UNIT_BYTES).toBe(0);
    const v = arena.view(ref);
    expect(v.buffer).toBe(sab);
    expect(v.length).toBe(1000);
    v.fill(7);
    // A second Arena object (as in another thread) sees the same allocation and bytes.
    const other = new Arena(sab, l);
    expect(other.view(ref)[999]).toBe(7);
    expect(other.stats().liveAllocations).toBe(1);
    const epoch = controlWords(sab, l)[CTRL.ARENA_EPOCH];
    other.free(ref);
    expect(controlWords(sab, l)[CTRL.ARENA_EPOCH]).toBe((epoch ?? 0) + 1);
    expect(arena.stats().liveAllocations).toBe(0);
  });

  it('reserves whole 64 B units, not powers of two', () => {
    const arena = Arena.standalone(1 << 20);
    arena.alloc(5 * 64 + 1);
    const s = arena.stats();
    expect(s.reservedBytes).toBe(6 * 64);
    expect(s.requestedBytes).toBe(321);
  });

  it('throws ArenaExhaustedError with the requested and free bytes', () => {
    const arena = Arena.standalone(64 * 1024);
    const a = arena.alloc(40 * 1024);
    let err: unknown;
    try {
      arena.alloc(40 * 1024);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArenaExhaustedError);
    const ex = err as ArenaExhaustedError;
    expect(ex.requestedBytes).toBe(40 * 1024);
    expect(ex.freeBytes).toBe(24 * 1024);
    expect(ex.message).toMatch(/requested 40960 B, 24576 B free/);
    expect(arena.tryAlloc(40 * 1024)).toBeNull();
    expect(arena.stats().failedAllocs).toBe(2);
    expect(() => arena.alloc(1 << 30)).toThrow(ArenaExhaustedError);
    arena.free(a);
    expect(arena.alloc(40 * 1024).length).toBe(40 * 1024);
  });

  it('rejects double free, foreign and resized refs without changing state', () => {
    const arena = Arena.standalone(1 << 20);
    const a = arena.alloc(300);
    const b = arena.alloc(300);
    arena.free(a);
    const before = arena.stats();
    expect(() => arena.free(a)).toThrow(/double free or foreign ref/);
    expect(() => arena.free({ offset: b.offset, length: 1000 })).toThrow(/does not match/);
    expect(() => arena.free({ offset: b.offset, length: 10 })).toThrow(/does not match/);
    expect(() => arena.free({ offset: 3, length: 10 })).toThrow(ArenaRefError);
    expect(() => arena.free({ offset: b.offset + 64, length: 64 })).toThrow(ArenaRefError);
    expect(() => arena.view(a)).toThrow(ArenaRefError);
    expect(() => arena.alloc(0)).toThrow(RangeError);
    expect(arena.stats()).toEqual(before);
    arena.free(b);
    expect(arena.stats().freeBytes).toBe(arena.stats().capacityBytes);
  });

  it('keeps the model invariants over random workloads (600 cases)', () => {
    for (let i = 0; i < 600; i++) withSeed(SEED + i, `arena model case ${i}`, arenaModelCase);
  });

  it('keeps requested/reserved >= 0.8 under seeded random workloads', () => {
    const l = computeLayout({ tier: 'light', workers: 4 });
    const arena = new Arena(createBus(l), l);
    const runs = [
      { workload: 'job payloads 16 B..1 MiB', minBytes: 16, maxBytes: 1 << 20, ops: 4000, targetFill: 0.7 },
      { workload: 'small messages 8 B..4 KiB', minBytes: 8, maxBytes: 4096, ops: 4000, targetFill: 0.7 },
    ];
    for (const [i, run] of runs.entries()) {
      const seed = SEED + 7777 + i;
      const r = withSeed(seed, run.workload, (rng) => arenaEfficiency(rng, arena, run));
      console.log(
        `[arena efficiency] seed=${seed} ${r.workload}: mean ${r.mean.toFixed(4)}, min ${r.min.toFixed(4)} over ${r.samples} samples; ` +
          `fill at first failure ${r.fillAtFirstFailure.toFixed(3)}`,
      );
      expect(r.min, `seed ${seed}`).toBeGreaterThanOrEqual(0.8);
    }
    expect(arena.stats().liveAllocations).toBe(0);
  });

  it('is deterministic for a seed', () => {
    const run = (): number[] => {
      const arena = Arena.standalone(1 << 16);
      const rng = mulberry32(SEED);
      return Array.from({ length: 50 }, () => arena.tryAlloc(rng.logInt(1, 4096))?.offset ?? -1);
    };
    expect(run()).toEqual(run());
  });
});
