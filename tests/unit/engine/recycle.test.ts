/**
 * Worker recycling, one mechanism (src/engine): after a job, the host replaces a worker whose
 * registered WebAssembly memory passed the engine's worker-wide mark, a memory passed its own
 * capsule's `limits.wasmHighWaterBytes`, or whose capsule's `wantsRecycle()` said so.
 * (The engine-wide mark alone is engine.test.ts "recycles a worker whose WebAssembly memory…".)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from './_engine';

let h: Awaited<ReturnType<typeof startEngine>>;
beforeAll(async () => {
  h = await startEngine(1);
});
afterAll(async () => {
  await h.stop();
});

const ready = () =>
  expect
    .poll(() => h.pool.snapshot().every((w) => w.ready === w.expectedReady), { timeout: 20_000 })
    .toBe(true);
const generation = () => h.pool.snapshot()[0]!.generation;
const job = (method: string, params = '{}') => h.engine.submit({ library: 'recycletest', method, params });

describe('worker recycling', () => {
  it("a capsule's own high-water mark: judged alone, not by the engine-wide one", async () => {
    const mark = h.engine.wasmHighWaterBytes;
    h.engine.wasmHighWaterBytes = 1 << 20; // 1 MiB engine-wide
    try {
      const before = h.engine.recycled;
      const gen = generation();
      // 1.5 MiB: over the engine's 1 MiB, under the capsule's own 2 MiB → kept.
      expect((await job('grow', '{"pages":24}')).status).toBe('ok');
      expect(h.engine.recycled).toBe(before);
      expect(generation()).toBe(gen);
      // 4 MiB: over the capsule's 2 MiB → replaced after the job.
      expect((await job('grow', '{"pages":64}')).status).toBe('ok');
      expect(h.engine.recycled).toBe(before + 1);
      await ready();
      expect(generation()).toBeGreaterThan(gen);
      // The fresh thread starts from a fresh memory: a small job is not recycled.
      expect((await job('grow', '{"pages":2}')).status).toBe('ok');
      expect(h.engine.recycled).toBe(before + 1);
    } finally {
      h.engine.wasmHighWaterBytes = mark;
    }
  });

  it('wantsRecycle(): a capsule that says its thread is spoiled gets a fresh one', async () => {
    await ready();
    const before = h.engine.recycled;
    const gen = generation();
    expect((await job('noop')).status).toBe('ok');
    expect(h.engine.recycled).toBe(before);
    expect((await job('poison')).status).toBe('ok');
    expect(h.engine.recycled).toBe(before + 1);
    await ready();
    expect(generation()).toBeGreaterThan(gen);
    expect((await job('noop')).status).toBe('ok');
    expect(h.engine.recycled).toBe(before + 1);
  });
});
