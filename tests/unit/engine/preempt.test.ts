/**
 * JobEngine preemption: an urgent job (a paid mesh job in the extension) that finds every worker
 * busy stops a running `preemptible` job (a local proof-of-work slice, 10 s of CPU) instead of
 * waiting for it to end; a job that is not preemptible is never stopped. One worker (throttled), the
 * long jobs are `spin` (never ends by itself), so "waits" and "stopped" are read from outcomes and
 * queue counts, never from timing (a worker too slow to see the cancel is replaced: the error still
 * starts with PREEMPTED).
 */
import { describe, expect, it } from 'vitest';
import { PREEMPTED } from '../../../src/engine/job-engine';
import { engineForFile } from './_engine';

const engine = engineForFile(2, 1);

const spin = (o: { preemptible?: boolean; signal?: AbortSignal } = {}) =>
  engine().engine.submit({ library: 'test', method: 'spin', budget: 1e9, ...o });
const echo = (k: number, urgent: boolean) =>
  engine().engine.submit({ library: 'test', method: 'echo', input: Uint8Array.of(k), urgent });

describe('JobEngine preemption', () => {
  it('an urgent job stops a running preemptible job and runs on its worker', async () => {
    const slice = spin({ preemptible: true });
    const paid = await echo(1, true);
    expect(paid.status).toBe('ok');
    expect(Array.from(paid.output)).toEqual([1]);
    const stopped = await slice;
    expect(stopped.status).toBe('cancelled');
    expect(stopped.error.startsWith(PREEMPTED), stopped.error).toBe(true);
    expect([engine().engine.queued, engine().engine.inFlight]).toEqual([0, 0]);
  });

  it('a job that is not preemptible is not stopped: the urgent job waits for it', async () => {
    const ctl = new AbortController();
    const long = spin({ signal: ctl.signal });
    let done = false;
    const paid = echo(2, true).then((o) => ((done = true), o));
    // dispatch() ran synchronously in submit: the urgent job is queued behind the spinning one.
    await new Promise((r) => setTimeout(r, 0));
    expect([engine().engine.queued, engine().engine.inFlight, done]).toEqual([1, 1, false]);
    ctl.abort();
    const stopped = await long;
    expect(stopped.status).toBe('cancelled');
    expect(stopped.error.startsWith(PREEMPTED)).toBe(false);
    expect((await paid).status).toBe('ok');
  });

  it('a job that is not urgent never preempts', async () => {
    const ctl = new AbortController();
    const slice = spin({ preemptible: true, signal: ctl.signal });
    const next = echo(3, false);
    await new Promise((r) => setTimeout(r, 0));
    expect([engine().engine.queued, engine().engine.inFlight]).toEqual([1, 1]);
    ctl.abort();
    expect((await slice).error.startsWith(PREEMPTED)).toBe(false);
    expect((await next).status).toBe('ok');
  });

  it('stops one preemptible job per urgent job waiting, the others keep running', async () => {
    engine().pool.setThrottle(2, 100);
    const ctl = new AbortController();
    const slices = [
      spin({ preemptible: true, signal: ctl.signal }),
      spin({ preemptible: true, signal: ctl.signal }),
    ];
    await new Promise((r) => setTimeout(r, 0));
    expect(engine().engine.inFlight).toBe(2);
    const paid = await echo(4, true);
    expect(paid.status).toBe('ok');
    // One urgent job waited: one slice was stopped for it, the other still runs.
    expect((await Promise.race(slices)).error.startsWith(PREEMPTED)).toBe(true);
    expect(engine().engine.inFlight).toBe(1);
    ctl.abort();
    const errors = (await Promise.all(slices)).map((o) => o.error.startsWith(PREEMPTED));
    expect(errors.filter(Boolean)).toHaveLength(1);
    engine().pool.setThrottle(1, 100);
  });
});
