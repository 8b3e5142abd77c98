/** 100k+ property cases and a threaded soak; a fresh seed per run (printed), SAB_SEED=<n> replays one. */
import { describe, expect, it } from 'vitest';
import { computeLayout, createBus, RingBuffer } from '../../../src/sab/index.ts';
import { arenaModelCase } from '../../unit/sab/_arena-props.ts';
import { baseSeed, withSeed } from '../../unit/sab/_prng.ts';
import type { RingWorkerData } from '../../unit/sab/_ring-frames.ts';
import { ringMutationCase, ringSequenceCase } from '../../unit/sab/_ring-props.ts';
import { firstMessage, startTsWorker } from '../../unit/sab/_ts-worker.ts';

const SEED = baseSeed((Date.now() ^ (Math.random() * 2 ** 32)) >>> 0);
console.log(`[sab slow] base seed ${SEED} (replay: SAB_SEED=${SEED})`);

const RING_SEQUENCES = 60_000;
const RING_MUTATIONS = 30_000;
const ARENA_CASES = 15_000;

describe('sab slow properties', () => {
  it(`ring: ${RING_SEQUENCES} random sequences`, () => {
    for (let i = 0; i < RING_SEQUENCES; i++)
      withSeed((SEED + i) >>> 0, `ring sequence case ${i}`, ringSequenceCase);
  });

  it(`ring: ${RING_MUTATIONS} corrupted states`, () => {
    for (let i = 0; i < RING_MUTATIONS; i++)
      withSeed((SEED + 1e7 + i) >>> 0, `ring mutation case ${i}`, ringMutationCase);
  });

  it(`arena: ${ARENA_CASES} model cases`, () => {
    for (let i = 0; i < ARENA_CASES; i++)
      withSeed((SEED + 2e7 + i) >>> 0, `arena model case ${i}`, arenaModelCase);
  });

  it('threads: 2M frames through a 2 KiB ring (constant wrap-around and back-pressure)', async () => {
    const l = computeLayout({ tier: 'light', workers: 1, ringBytes: 2048 });
    const sab = createBus(l);
    const ring = RingBuffer.outbox(sab, l, 0);
    const base = { sab, offset: ring.byteOffset, capacity: ring.capacity, frames: 2_000_000, seed: SEED };
    const url = new URL('../../unit/sab/_ring-worker.ts', import.meta.url);
    const c = startTsWorker(url, { ...base, role: 'consume' } satisfies RingWorkerData);
    const p = startTsWorker(url, { ...base, role: 'produce' } satisfies RingWorkerData);
    try {
      const [a, b] = await Promise.all([firstMessage(p), firstMessage(c)]);
      expect(b, `seed ${SEED}`).toEqual(a);
    } finally {
      await Promise.all([p.terminate(), c.terminate()]);
    }
  });
});
