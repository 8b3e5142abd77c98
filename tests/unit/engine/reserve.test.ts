/**
 * JobEngine.reserve: workers kept for urgent jobs (a workflow's steps in the extension) so a queued
 * job that is not urgent (the next proof-of-work slice) cannot take the worker between two of them.
 * Two workers, throttled to one but for the last test; the order of starts is read from the jobs'
 * outcomes, never from timing.
 */
import { describe, expect, it } from 'vitest';
import { engineForFile } from './_engine';

const engine = engineForFile(2, 1);

describe('JobEngine.reserve', () => {
  it('holds a queued non-urgent job back while urgent jobs come one after another', async () => {
    const release = engine().engine.reserve(1);
    const order: string[] = [];
    const filler = engine()
      .engine.submit({ library: 'test', method: 'echo', input: Uint8Array.of(1) })
      .then((o) => (order.push('filler'), o));
    // Three urgent jobs in a chain, each submitted after the previous one's outcome (with a gap).
    for (let k = 0; k < 3; k++) {
      await new Promise((r) => setTimeout(r, 5));
      const o = await engine().engine.submit({
        library: 'test',
        method: 'echo',
        input: Uint8Array.of(k),
        urgent: true,
      });
      order.push(`step${k}`);
      expect(o.status).toBe('ok');
      expect([engine().engine.queued, engine().engine.inFlight]).toEqual([1, 0]);
    }
    release();
    expect((await filler).status).toBe('ok');
    expect(order).toEqual(['step0', 'step1', 'step2', 'filler']);
    expect([engine().engine.queued, engine().engine.inFlight]).toEqual([0, 0]);
  });

  it('without a reserve the queued job runs first (first come, first served)', async () => {
    const order: string[] = [];
    const filler = engine()
      .engine.submit({ library: 'test', method: 'echo', input: Uint8Array.of(1) })
      .then(() => order.push('filler'));
    await engine().engine.submit({ library: 'test', method: 'echo', input: Uint8Array.of(2), urgent: true });
    order.push('step');
    await filler;
    expect(order).toEqual(['filler', 'step']);
  });

  it('an urgent job running fills the reserve: other workers stay open to anyone', async () => {
    engine().pool.setThrottle(2, 100);
    const release = engine().engine.reserve(1);
    const ctl = new AbortController();
    const step = engine().engine.submit({
      library: 'test',
      method: 'spin',
      urgent: true,
      signal: ctl.signal,
    });
    const other = await engine().engine.submit({ library: 'test', method: 'echo', input: Uint8Array.of(3) });
    expect(other.status).toBe('ok');
    ctl.abort();
    expect((await step).status).toBe('cancelled');
    release();
  });
});
