/**
 * A replaced worker whose thread lives on (a browser's Worker.terminate() lets a thread busy in
 * script run for up to 2 s: Blink's kForcibleTerminationDelay) must never touch the slot it left.
 * Session 7's browsers slow test saw honest browsers' paid jobs come back "cancelled / stopped:
 * cancelled" although nobody asked them to stop. The mechanism, reproduced here with Node threads
 * whose terminate() is deferred like Chromium's:
 *   1. a job that misses the 100 ms grace is stopped by replacing its worker; the slot is reset and
 *      ordinals restart at 1, but the old thread still runs that job as ordinal 1;
 *   2. the new worker's ordinal-1 job (a proof-of-work slice) is preempted: CANCEL_JOB = 1;
 *   3. the old thread's next checkpoint reads CANCEL_JOB === 1 and it publishes "stopped: cancelled"
 *      into the fresh outbox, where the engine took it as the next job's (a paid job's) result.
 * One worker; "replaced", "stopped" and "published" are read from outcomes and shared words, never
 * from timing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREEMPTED } from '../../../src/engine/job-engine';
import { WORKER_SLOT, WORKER_STATE } from '../../../src/sab/layout';
import { RingBuffer } from '../../../src/sab/ring-buffer';
import { startEngine } from './_engine';

let h: Awaited<ReturnType<typeof startEngine>>;
beforeAll(async () => {
  h = await startEngine(1, { terminateLaterMs: 60_000 });
}, 90_000);
afterAll(async () => {
  await h?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('a replaced worker still running (a browser terminate) never settles a later job', () => {
  it('its late "stopped: cancelled" is not taken as a paid job\'s result', { timeout: 120_000 }, async () => {
    const slot = h.pool.slot(0);
    // 1. A job that checks in too late for the grace: its worker is replaced, its thread lives on.
    let replaced = false;
    for (let attempt = 0; attempt < 5 && !replaced; attempt++) {
      const ctl = new AbortController();
      const before = h.pool.replacements;
      const blind = h.engine.submit({
        library: 'test',
        method: 'blindThenSpin',
        params: JSON.stringify({ blindMs: 1_500 }),
        budget: 1e9,
        signal: ctl.signal,
      });
      await until(
        'the blind job to start',
        () => Atomics.load(slot, WORKER_SLOT.STATE) === WORKER_STATE.busy,
      );
      await sleep(100); // past execute()'s first checkpoint, inside the blind stretch
      ctl.abort();
      const o = await blind;
      expect(o.status).toBe('cancelled');
      replaced = h.pool.replacements > before;
    }
    expect(replaced, 'the blind job was never replaced (it saw its cancel within the grace)').toBe(true);
    expect(h.zombies.length).toBeGreaterThan(0);
    await until('the new worker', () => h.pool.aliveCount() === 1);

    // 2. The new worker's first job is a preemptible slice; an urgent job stops it (CANCEL_JOB = 1,
    // the very ordinal the old thread is still running).
    const slice = h.engine.submit({ library: 'test', method: 'spin', budget: 1e9, preemptible: true });
    await until('the slice to start', () => Atomics.load(slot, WORKER_SLOT.CURRENT_JOB) === 1);
    const first = await h.engine.submit({
      library: 'test',
      method: 'echo',
      input: Uint8Array.of(1),
      urgent: true,
    });
    expect((await slice).error.startsWith(PREEMPTED)).toBe(true);
    expect([first.status, first.error, Array.from(first.output)]).toEqual(['ok', '', [1]]);

    // 3. Wait until the old thread either published into the outbox (the bug) or ended (the fix).
    const outbox = RingBuffer.outbox(h.pool.sab, h.pool.layout, 0);
    let exited = false;
    void Promise.all(h.zombies.map((z) => z.exited)).then(() => (exited = true));
    await until('the old thread to publish or end', () => exited || outbox.usedBytes() > 0);

    // Every later paid job gets its own result.
    for (let k = 2; k < 8; k++) {
      const o = await h.engine.submit({
        library: 'test',
        method: 'echo',
        input: Uint8Array.of(k),
        urgent: true,
      });
      expect([o.status, o.error, Array.from(o.output)]).toEqual(['ok', '', [k]]);
    }
    // The old thread published nothing at all, and the worker never reported a stop no one asked.
    expect([h.engine.staleResults, h.engine.unaskedStops], h.engine.anomalies.join('\n')).toEqual([0, 0]);
  });
});
