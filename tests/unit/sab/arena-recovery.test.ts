/**
 * A worker terminated while it holds the arena lock, halfway through an alloc or a free, or while it
 * owns an output block: the supervisor's Arena.recover takes the lock back, undoes the half-done
 * operation and frees the block, and the arena is whole again (every other block intact, all memory
 * allocatable). Real threads (worker_threads), killed with terminate().
 */
import { describe, expect, it } from 'vitest';
import {
  Arena,
  ArenaLockTimeoutError,
  HOST_OWNER,
  workerOwner,
  type ArenaRef,
} from '../../../src/sab/index.ts';
import { computeLayout, createBus, workerSlot } from '../../../src/sab/layout.ts';
import { prng, seedFromEnv } from '../_prng.ts';
import type { KillPoint } from './_arena-killed-worker.ts';
import { firstMessage, startTsWorker } from './_ts-worker.ts';

const SEED = seedFromEnv(0x5eed15);

async function killAt(point: KillPoint) {
  console.info(`[arena-recovery] ${point} seed=${SEED}`);
  const layout = computeLayout({ tier: 'light', workers: 1 });
  const sab = createBus(layout);
  const host = new Arena(sab, layout, { owner: HOST_OWNER });
  const rng = prng(SEED);
  // Other live blocks around, with contents that must survive the recovery.
  const mine: Array<{ ref: ArenaRef; tag: number }> = [];
  for (let k = 0; k < 40; k++) {
    const ref = host.alloc(1 + Math.floor(rng() * 200_000));
    const tag = k * 7;
    host.view(ref).fill(tag & 255);
    mine.push({ ref, tag });
  }
  for (let k = 0; k < 40; k += 3) host.free(mine[k]!.ref);
  const kept = mine.filter((_, k) => k % 3 !== 0);

  const w = startTsWorker(new URL('./_arena-killed-worker.ts', import.meta.url), {
    sab,
    point,
    bytes: 300_000,
  });
  expect(await firstMessage<string>(w)).toBe('stopped');
  await w.terminate();
  const owner = workerOwner(0, 0);
  return { layout, sab, host, kept, owner, slot: workerSlot(sab, layout, 0) };
}

function expectWhole(host: Arena, kept: Array<{ ref: ArenaRef; tag: number }>) {
  for (const { ref, tag } of kept) expect(host.view(ref).every((b) => b === (tag & 255))).toBe(true);
  for (const { ref } of kept) host.free(ref);
  const s = host.stats();
  expect(s.liveAllocations).toBe(0);
  expect(s.freeBytes).toBe(s.capacityBytes);
  expect(s.largestFreeBlockBytes).toBe(s.maxAllocBytes);
  host.free(host.alloc(s.maxAllocBytes));
}

describe('Arena.recover after a worker is killed', () => {
  for (const point of ['inside-alloc', 'inside-free'] as const)
    it(`takes the lock back from a worker killed ${point.replace('-', ' ')} and rebuilds the metadata`, async () => {
      const { layout, sab, host, kept, owner, slot } = await killAt(point);
      expect(host.lockHolder()).toBe(owner);
      // Wedged without recovery: nobody else can allocate.
      const impatient = new Arena(sab, layout, { lockTimeoutMs: 30 });
      expect(() => impatient.alloc(64)).toThrow(ArenaLockTimeoutError);
      const r = host.recover(owner, slot);
      expect(r.lockRecovered).toBe(true);
      expect(r.freedBytes).toBe(0); // the block was never handed out / was already unmarked
      expect(host.lockHolder()).toBe(0);
      impatient.free(impatient.alloc(64));
      expectWhole(host, kept);
    });

  it('frees the output block of a worker killed while owning it', async () => {
    const { host, kept, owner, slot } = await killAt('owning-output');
    expect(host.lockHolder()).toBe(0);
    const before = host.stats().liveAllocations;
    const r = host.recover(owner, slot);
    expect(r).toEqual({ lockRecovered: false, freedBytes: 300_000 });
    expect(host.stats().liveAllocations).toBe(before - 1);
    // A second recovery finds nothing left to free.
    expect(host.recover(owner, slot)).toEqual({ lockRecovered: false, freedBytes: 0 });
    expectWhole(host, kept);
  });

  it('never takes the lock from a live holder that is not the dead owner', () => {
    const layout = computeLayout({ tier: 'light', workers: 1 });
    const sab = createBus(layout);
    const host = new Arena(sab, layout);
    const ref = host.alloc(100);
    expect(host.recover(workerOwner(0, 3))).toEqual({ lockRecovered: false, freedBytes: 0 });
    host.free(ref);
    expect(host.stats().liveAllocations).toBe(0);
  });
});
