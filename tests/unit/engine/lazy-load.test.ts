/**
 * A capsule's library loads on its first job in a worker, not when the worker starts (capsule.ts
 * `load`): a worker is ready without it (a capsule the user opted out of costs nothing), the load
 * runs once per thread, outside the job's time limit, and the job's latency includes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from './_engine';
import { LAZY_LOAD_MS } from './_test-capsule';

let h: Awaited<ReturnType<typeof startEngine>>;
beforeAll(async () => {
  h = await startEngine(1);
}, 60_000);
afterAll(async () => {
  await h.stop();
});

const count = async (library: string, method: string) => {
  const r = await h.engine.submit({ library, method, params: '{}' });
  expect(r.status, r.error).toBe('ok');
  return r.output[0];
};

describe('lazy library load', () => {
  it('a ready worker has loaded no library; the first job loads it once, outside its clock', async () => {
    // Ready and running jobs of another capsule, without the lazy capsule's load having run.
    expect(await count('test', 'lazyLoads')).toBe(0);
    const t0 = performance.now();
    // The load takes 3× the job's 200 ms limit: counted against the job, it would time out.
    expect(await count('lazytest', 'loads')).toBe(1);
    // The first job's latency includes the load (a lower bound set by the load's own timers).
    expect(performance.now() - t0).toBeGreaterThanOrEqual(LAZY_LOAD_MS - 5);
    expect(await count('lazytest', 'loads')).toBe(1);
    expect(await count('test', 'lazyLoads')).toBe(1);
  });
});
