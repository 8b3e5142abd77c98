/**
 * JobEngine.holdPreemptible: while held, no preemptible job (a local proof-of-work slice) starts;
 * other jobs (urgent, and non-urgent ones such as the chunk store's storage.put helpers) start past
 * the held ones; with `preempt` running preemptible jobs are stopped (PREEMPTED); the release lets
 * the held jobs start. Outcomes and queue counts only, never timing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREEMPTED } from '../../../src/engine/job-engine';
import { startEngine } from './_engine';

let h: Awaited<ReturnType<typeof startEngine>>;
beforeAll(async () => {
  h = await startEngine(2);
  h.pool.setThrottle(1, 100);
}, 30_000);
afterAll(async () => {
  await h?.stop();
});

const tick = () => new Promise((r) => setTimeout(r, 0));
const spin = (o: { preemptible?: boolean; signal?: AbortSignal } = {}) =>
  h.engine.submit({ library: 'test', method: 'spin', budget: 1e9, ...o });
const echo = (k: number, o: { urgent?: boolean; preemptible?: boolean } = {}) =>
  h.engine.submit({ library: 'test', method: 'echo', input: Uint8Array.of(k), ...o });

describe('JobEngine.holdPreemptible', () => {
  it('holds preemptible jobs only: a non-urgent and an urgent job pass them; release starts them', async () => {
    const release = h.engine.holdPreemptible();
    expect(h.engine.preemptibleHeld).toBe(true);
    let sliceDone = false;
    const slice = echo(1, { preemptible: true }).then((o) => ((sliceDone = true), o));
    await tick();
    expect([h.engine.queued, h.engine.inFlight, sliceDone]).toEqual([1, 0, false]);
    // Queued behind the held slice, yet dispatched.
    expect((await echo(2)).status).toBe('ok');
    expect((await echo(3, { urgent: true })).status).toBe('ok');
    await new Promise((r) => setTimeout(r, 100));
    expect([h.engine.queued, sliceDone]).toEqual([1, false]);
    release();
    release(); // a second call is a no-op (the count must not go below zero)
    expect(h.engine.preemptibleHeld).toBe(false);
    const o = await slice;
    expect([o.status, Array.from(o.output)]).toEqual(['ok', [1]]);
    expect([h.engine.queued, h.engine.inFlight]).toEqual([0, 0]);
  });

  it('holds nest: the held job starts only when the last hold is released', async () => {
    const a = h.engine.holdPreemptible();
    const b = h.engine.holdPreemptible();
    const slice = echo(4, { preemptible: true });
    a();
    await new Promise((r) => setTimeout(r, 100));
    expect([h.engine.queued, h.engine.preemptibleHeld]).toEqual([1, true]);
    b();
    expect((await slice).status).toBe('ok');
  });

  it('without preempt a running slice is left to run; with preempt it is stopped', async () => {
    const ctl = new AbortController();
    const first = spin({ preemptible: true, signal: ctl.signal });
    await tick();
    expect(h.engine.inFlight).toBe(1);
    const keep = h.engine.holdPreemptible();
    await new Promise((r) => setTimeout(r, 100));
    expect(h.engine.inFlight).toBe(1);
    const stop = h.engine.holdPreemptible({ preempt: true });
    const o = await first;
    expect(o.status).toBe('cancelled');
    expect(o.error.startsWith(PREEMPTED), o.error).toBe(true);
    keep();
    stop();
    ctl.abort();
    expect([h.engine.queued, h.engine.inFlight]).toEqual([0, 0]);
  });

  it('preempt never stops a job that is not preemptible', async () => {
    const ctl = new AbortController();
    const long = spin({ signal: ctl.signal });
    await tick();
    const release = h.engine.holdPreemptible({ preempt: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(h.engine.inFlight).toBe(1);
    release();
    ctl.abort();
    const o = await long;
    expect(o.status).toBe('cancelled');
    expect(o.error.startsWith(PREEMPTED)).toBe(false);
  });
});
