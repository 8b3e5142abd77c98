import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIFECYCLE_CODE } from '../../../src/sab/layout';
import { startEngine } from './_engine';

let h: Awaited<ReturnType<typeof startEngine>>;
beforeAll(async () => {
  h = await startEngine(2);
}, 30_000);
afterAll(async () => {
  await h?.stop();
});

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('JobEngine over real worker threads', () => {
  it('runs a job: input through the arena, output back, cost reported', async () => {
    const input = bytes(100_000);
    const r = await h.engine.submit({ library: 'test', method: 'echo', input });
    expect(r.status).toBe('ok');
    expect(r.output).toEqual(input);
    expect(r.costUsed).toBeGreaterThanOrEqual(1); // one MiB-unit of data moved, at least
    expect(r.error).toBe('');
  });

  it('runs many jobs across both workers, with nothing lost or run twice', async () => {
    const jobs = Array.from({ length: 40 }, (_, k) =>
      h.engine.submit({ library: 'test', method: 'sum', input: bytes(1000 + k, k) }),
    );
    const results = await Promise.all(jobs);
    results.forEach((r, k) => {
      const expected = bytes(1000 + k, k).reduce((a, b) => (a + b) >>> 0, 0);
      expect(r.status).toBe('ok');
      expect(new DataView(r.output.buffer).getUint32(0, true)).toBe(expected);
    });
    expect(new Set(results.map((r) => r.worker))).toEqual(new Set([0, 1]));
    expect(new Set(results.map((r) => r.id)).size).toBe(40);
  });

  it('rejects hostile requests with a message, and keeps working', async () => {
    const unknownLib = await h.engine.submit({ library: 'nope', method: 'x' });
    expect(unknownLib).toMatchObject({ status: 'badInput', costUsed: 0 });
    expect(unknownLib.error).toMatch(/available: (.+, )?test/);
    const unknownMethod = await h.engine.submit({ library: 'test', method: 'mine' });
    expect(unknownMethod.error).toMatch(
      /unknown method "mine".*available: blindThenSpin, echo, fail, growWasm, hang, hangLong, hangOwningOutput, lazyLoads, pricedBusy, pricedSpin, spin, sum/,
    );
    const polluted = await h.engine.submit({
      library: 'test',
      method: 'sum',
      params: '{"a":{"__proto__":{"x":1}}}',
    });
    expect(polluted).toMatchObject({ status: 'badInput' });
    expect(polluted.error).toContain('__proto__');
    const notJson = await h.engine.submit({ library: 'test', method: 'sum', params: '{times: 2' });
    expect(notJson.error).toContain('not valid JSON');
    const badParam = await h.engine.submit({ library: 'test', method: 'sum', params: '{"times": -1}' });
    expect(badParam.error).toMatch(/times/);
    const deep = await h.engine.submit({
      library: 'test',
      method: 'sum',
      params: '['.repeat(100) + ']'.repeat(100),
    });
    expect(deep.error).toContain('nest deeper');
    const thrown = await h.engine.submit({ library: 'test', method: 'fail' });
    expect(thrown).toMatchObject({ status: 'internalError' });
    expect(thrown.error).toContain('boom');
    const ok = await h.engine.submit({ library: 'test', method: 'echo', input: bytes(10) });
    expect(ok.status).toBe('ok');
  });

  it('stops a looping job at its budget, charges no more than the budget, and runs the next job', async () => {
    // The budget is the requirement (charged ≤ 150); a job that ignored it would spin until the test times out.
    const r = await h.engine.submit({ library: 'test', method: 'spin', budget: 150 });
    expect(r.status).toBe('budgetExhausted');
    expect(r.costUsed).toBeLessThanOrEqual(150);
    expect(r.costUsed).toBeGreaterThan(75);
    expect((await h.engine.submit({ library: 'test', method: 'echo', input: bytes(5) })).status).toBe('ok');
  });

  it("counts a job's run time in its worker's LOAD word, as much as it was charged", async () => {
    const before = h.pool.busyMs();
    const r = await h.engine.submit({ library: 'test', method: 'spin', budget: 300 });
    expect(r.status).toBe('budgetExhausted');
    await expect.poll(() => (h.pool.busyMs() - before) | 0).toBeGreaterThanOrEqual(r.costUsed * 0.9);
    const busy = (h.pool.busyMs() - before) | 0;
    console.info(`[engine] LOAD +${busy} ms for a job charged ${r.costUsed} credits`);
    expect(busy).toBeLessThanOrEqual(r.costUsed * 1.1 + 20);
  });

  it('replaces a worker whose WebAssembly memory passed the high-water mark after its job', async () => {
    const mark = h.engine.wasmHighWaterBytes;
    h.engine.wasmHighWaterBytes = 4 << 20;
    try {
      const small = await h.engine.submit({ library: 'test', method: 'growWasm', params: '{"pages":16}' });
      expect(small.status).toBe('ok');
      expect(h.engine.recycled).toBe(0); // 1 MiB: under the mark
      const gen = h.pool.snapshot()[small.worker]!.generation;
      const big = await h.engine.submit({ library: 'test', method: 'growWasm', params: '{"pages":128}' });
      expect(big.status).toBe('ok');
      expect(h.engine.recycled).toBe(1);
      await expect
        .poll(() => h.pool.snapshot().every((w) => w.ready === w.expectedReady), { timeout: 20_000 })
        .toBe(true);
      expect(h.pool.snapshot()[big.worker]!.generation).toBeGreaterThan(
        big.worker === small.worker ? gen : -1,
      );
      expect((await h.engine.submit({ library: 'test', method: 'echo', input: bytes(5) })).status).toBe('ok');
    } finally {
      h.engine.wasmHighWaterBytes = mark;
    }
  });

  it('stops a looping job at its timeout (the capsule’s 2 s limit)', async () => {
    const r = await h.engine.submit({ library: 'test', method: 'spin' });
    expect(r.status).toBe('timeout');
    expect(r.ms).toBeLessThan(2_000 + 1_000);
  });

  it('terminates and replaces a worker stuck without checkpoints; the pool stays healthy', async () => {
    const before = h.pool.replacements;
    const r = await h.engine.submit({ library: 'test', method: 'hang', budget: 200 });
    expect(r.status).toBe('budgetExhausted');
    expect(r.costUsed).toBeLessThanOrEqual(200);
    expect(r.error).toContain('replaced');
    // The forced stop names the limit like a checkpoint stop does (`inos run` prints it).
    expect(r.error).toContain('the budget of 200 credits ran out');
    expect(h.pool.replacements).toBe(before + 1);
    const after = await Promise.all(
      [0, 1, 2, 3].map(() => h.engine.submit({ library: 'test', method: 'echo', input: bytes(64) })),
    );
    expect(after.every((x) => x.status === 'ok')).toBe(true);
  });

  it('takes back the output block of a worker killed while it owned one', async () => {
    const before = h.engine.arenaStats.liveAllocations;
    const r = await h.engine.submit({ library: 'test', method: 'hangOwningOutput', budget: 200 });
    expect(r.status).toBe('budgetExhausted');
    await expect
      .poll(() => h.engine.recoveries.find((x) => 'freedBytes' in x && x.freedBytes === 4096), {
        timeout: 10_000,
      })
      .toBeTruthy();
    expect(h.engine.arenaStats.liveAllocations).toBe(before);
    expect((await h.engine.submit({ library: 'test', method: 'echo', input: bytes(5) })).status).toBe('ok');
  });

  it('detects a worker that stops beating within 3 s and replaces it', async () => {
    const before = h.pool.replacements;
    const r = await h.engine.submit({ library: 'test', method: 'hangLong' });
    expect(r.status).toBe('internalError');
    expect(r.error).toContain('stopped responding');
    expect(r.ms).toBeGreaterThanOrEqual(3_000);
    expect(r.ms).toBeLessThan(3_000 + 500);
    expect(h.pool.replacements).toBe(before + 1);
    expect((await h.engine.submit({ library: 'test', method: 'echo', input: bytes(5) })).status).toBe('ok');
  });

  it('cancels a running job through its AbortSignal', async () => {
    const ac = new AbortController();
    const pending = h.engine.submit({ library: 'test', method: 'spin', signal: ac.signal });
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    const r = await pending;
    expect(r.status).toBe('cancelled');
  });

  it('holds queued jobs while paused and runs them on resume: none lost, none twice', async () => {
    h.pool.setLifecycle(LIFECYCLE_CODE.paused);
    const pending = Array.from({ length: 6 }, (_, k) =>
      h.engine.submit({ library: 'test', method: 'echo', input: bytes(8, k) }),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(h.engine.queued).toBe(6);
    h.pool.setLifecycle(LIFECYCLE_CODE.running);
    h.engine.pump();
    const results = await Promise.all(pending);
    results.forEach((r, k) => expect(r.output).toEqual(bytes(8, k)));
    const done = h.pool.jobsDone();
    expect(done).toBeGreaterThan(0);
  });

  it('parks a running job at its next checkpoint on pause, and finishes it after resume', async () => {
    const t0 = performance.now();
    const pending = h.engine.submit({ library: 'test', method: 'spin', budget: 400 });
    await new Promise((r) => setTimeout(r, 100));
    h.pool.setLifecycle(LIFECYCLE_CODE.paused);
    await new Promise((r) => setTimeout(r, 700));
    h.pool.setLifecycle(LIFECYCLE_CODE.running);
    const r = await pending;
    // Parked time is not charged and the watchdog does not count it: the job ends on its budget.
    expect(r.status).toBe('budgetExhausted');
    expect(r.costUsed).toBeLessThanOrEqual(400);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(400 + 600);
  });

  it('runs a job at a 50% duty cycle: about twice the wall time for the same charged CPU time', async () => {
    h.pool.setThrottle(2, 50);
    try {
      const r = await h.engine.submit({ library: 'test', method: 'spin', budget: 600 });
      expect(r.status).toBe('budgetExhausted');
      expect(r.costUsed).toBeLessThanOrEqual(600);
      // 600 ms of CPU at 50% of each 1 s cycle needs ~1.1–1.5 s of wall time.
      expect(r.ms).toBeGreaterThan(1_000);
      expect(r.ms).toBeLessThan(2_500);
    } finally {
      h.pool.setThrottle(2, 100);
    }
  });

  it('refuses a job whose frame exceeds the ring (1 MiB params on a 64 KiB ring) and keeps working', async () => {
    const big = JSON.stringify({ times: 1, pad: 'x'.repeat(200_000) });
    const r = await h.engine.submit({ library: 'test', method: 'sum', params: big, input: bytes(10) });
    expect(r.status).toBe('badInput');
    expect(r.error).toContain('job bus carries at most');
    expect((await h.engine.submit({ library: 'test', method: 'echo', input: bytes(3) })).status).toBe('ok');
  });

  it('frees every arena block it used', () => {
    expect(h.engine.arenaStats.liveAllocations).toBe(0);
  });
});
