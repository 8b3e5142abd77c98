/** Real threads (node:worker_threads) over one SharedArrayBuffer. */
import { describe, expect, it } from 'vitest';
import { Arena, computeArenaRegion, computeLayout, createBus, RingBuffer } from '../../../src/sab/index.ts';
import { baseSeed } from './_prng.ts';
import type { RingWorkerData } from './_ring-frames.ts';
import { firstMessage, startTsWorker } from './_ts-worker.ts';

const SEED = baseSeed(0x5eed_0003);

describe('threads', () => {
  it.each([
    { frames: 100_000, ringBytes: 4096 },
    // 1500 B frames in a 2 KiB ring: most of them need the lone-padding path while the reader sleeps.
    { frames: 30_000, ringBytes: 2048 },
  ])(
    'passes $frames frames through a $ringBytes B ring between two threads, checksums equal',
    async ({ frames, ringBytes }) => {
      const l = computeLayout({ tier: 'light', workers: 1, ringBytes });
      const sab = createBus(l);
      const ring = RingBuffer.inbox(sab, l, 0);
      const base = { sab, offset: ring.byteOffset, capacity: ring.capacity, frames, seed: SEED };
      const url = new URL('./_ring-worker.ts', import.meta.url);
      const consumer = startTsWorker(url, { ...base, role: 'consume' } satisfies RingWorkerData);
      const producer = startTsWorker(url, { ...base, role: 'produce' } satisfies RingWorkerData);
      try {
        type R = { checksum: number; bytes: number };
        const [p, c] = await Promise.all([firstMessage<R>(producer), firstMessage<R>(consumer)]);
        expect(c, `seed ${SEED}`).toEqual(p);
        expect(p.bytes).toBeGreaterThan(frames * 50);
        expect(ring.writeEpoch).toBe(frames);
        expect(ring.readEpoch).toBe(frames);
        expect(ring.usedBytes()).toBe(0);
      } finally {
        await Promise.all([producer.terminate(), consumer.terminate()]);
      }
    },
  );

  it('allocates and frees from 4 threads at once without overlap', async () => {
    const region = computeArenaRegion(4 << 20);
    const sab = new SharedArrayBuffer(region.byteLength);
    const owners = new SharedArrayBuffer(region.arenaUnits * 4);
    const arena = new Arena(sab, region);
    const url = new URL('./_arena-worker.ts', import.meta.url);
    const workers = Array.from({ length: 4 }, (_, tid) =>
      startTsWorker(url, { sab, region, owners, tid, ops: 2500, seed: SEED + tid, maxBytes: 64 * 1024 }),
    );
    try {
      const results = await Promise.all(
        workers.map((w) => firstMessage<{ allocs: number; exhausted: number }>(w)),
      );
      const allocs = results.reduce((a, r) => a + r.allocs, 0);
      expect(allocs).toBeGreaterThan(4 * 1000);
      const s = arena.stats();
      expect(s.liveAllocations).toBe(0);
      expect(s.totalAllocs).toBe(allocs);
      expect(s.totalFrees).toBe(allocs);
      expect(s.freeBytes).toBe(s.capacityBytes);
      expect(s.largestFreeBlockBytes).toBe(Arena.standalone(4 << 20).stats().largestFreeBlockBytes);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });
});
