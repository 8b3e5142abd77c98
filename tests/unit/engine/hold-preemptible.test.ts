/**
 * JobEngine.holdPreemptible: while held, no preemptible job (a local proof-of-work slice) starts;
 * other jobs (urgent, and non-urgent ones such as the chunk store's storage.put helpers) start past
 * the held ones; with `preempt` running preemptible jobs are stopped (PREEMPTED); the release lets
 * the held jobs start. Outcomes and queue counts only, never timing.
 */
import { describe, expect, it } from 'vitest';
import { PREEMPTED } from '../../../src/engine/job-engine';
import { engineForFile } from './_engine';

const engine = engineForFile(2, 1);

const tick = () => new Promise((r) => setTimeout(r, 0));
const spin = (o: { preemptible?: boolean; signal?: AbortSignal } = {}) =>
  engine().engine.submit({ library: 'test', method: 'spin', budget: 1e9, ...o });
const echo = (k: number, o: { urgent?: boolean; preemptible?: boolean } = {}) =>
  engine().engine.submit({ library: 'test', method: 'echo', input: Uint8Array.of(k), ...o });

describe('JobEngine.holdPreemptible', () => {
  it('holds preemptible jobs only: a non-urgent and an urgent job pass them; release starts them', async () => {
    const release = engine().engine.holdPreemptible();
    expect(engine().engine.preemptibleHeld).toBe(true);
    let sliceDone = false;
    const slice = echo(1, { preemptible: true }).then((o) => ((sliceDone = true), o));
    await tick();
    expect([engine().engine.queued, engine().engine.inFlight, sliceDone]).toEqual([1, 0, false]);
    // Queued behind the held slice, yet dispatched.
    expect((await echo(2)).status).toBe('ok');
    expect((await echo(3, { urgent: true })).status).toBe('ok');
    await new Promise((r) => setTimeout(r, 100));
    expect([engine().engine.queued, sliceDone]).toEqual([1, false]);
    release();
    release(); // a second call is a no-op (the count must not go below zero)
    expect(engine().engine.preemptibleHeld).toBe(false);
    const o = await slice;
    expect([o.status, Array.from(o.output)]).toEqual(['ok', [1]]);
    expect([engine().engine.queued, engine().engine.inFlight]).toEqual([0, 0]);
  });

  it('holds nest: the held job starts only when the last hold is released', async () => {
    const a = engine().engine.holdPreemptible();
    const b = engine().engine.holdPreemptible();
    const slice = echo(4, { preemptible: true });
    a();
    await new Promise((r) => setTimeout(r, 100));
    expect([engine().engine.queued, engine().engine.preemptibleHeld]).toEqual([1, true]);
    b();
    expect((await slice).status).toBe('ok');
  });

  it('without preempt a running slice is left to run; with preempt it is stopped', async () => {
    const ctl = new AbortController();
    const first = spin({ preemptible: true, signal: ctl.signal });
    await tick();
    expect(engine().engine.inFlight).toBe(1);
    const keep = engine().engine.holdPreemptible();
    await new Promise((r) => setTimeout(r, 100));
    expect(engine().engine.inFlight).toBe(1);
    const stop = engine().engine.holdPreemptible({ preempt: true });
    const o = await first;
    expect(o.status).toBe('cancelled');
    expect(o.error.startsWith(PREEMPTED), o.error).toBe(true);
    keep();
    stop();
    ctl.abort();
    expect([engine().engine.queued, engine().engine.inFlight]).toEqual([0, 0]);
  });

  it('preempt never stops a job that is not preemptible', async () => {
    const ctl = new AbortController();
    const long = spin({ signal: ctl.signal });
    await tick();
    const release = engine().engine.holdPreemptible({ preempt: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(engine().engine.inFlight).toBe(1);
    release();
    ctl.abort();
    const o = await long;
    expect(o.status).toBe('cancelled');
    expect(o.error.startsWith(PREEMPTED)).toBe(false);
  });
});
