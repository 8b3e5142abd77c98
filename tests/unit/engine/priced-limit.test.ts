/**
 * A method priced by its work (capsule `price`, src/capsules/price.ts) is charged its price, not
 * its wall time, so its budget bounds the price, not the run time: the host's watchdog must give it
 * the cost cap (as the worker's own meter does, src/engine/execute.ts), not `budget` milliseconds.
 * Before, a 4 MiB sha256 with a budget of twice its price (26 credits) was stopped after 26 ms of
 * wall time on a busy browser and reported "budget exhausted". An unpriced job keeps the old bound:
 * one credit per millisecond.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from './_engine';

let h: Awaited<ReturnType<typeof startEngine>>;
beforeAll(async () => {
  h = await startEngine(1);
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

describe('JobEngine: the run-time bound of a priced job', () => {
  it('a priced job that works far longer than its budget in ms finishes and is charged its price', async () => {
    // 300 ms of work against a 1-credit budget: the watchdog ticks every 20 ms, so the old bound
    // (1 ms) stopped it on the first tick after dispatch, whatever the machine's load.
    const o = await h.engine.submit({
      library: 'test',
      method: 'pricedBusy',
      params: JSON.stringify({ ms: 300 }),
      budget: 1,
    });
    expect(o.status, o.error).toBe('ok');
    expect(o.costUsed).toBe(1);
  });

  it('an unpriced job is still stopped when its budget in ms runs out', async () => {
    const o = await h.engine.submit({ library: 'test', method: 'spin', budget: 5 });
    expect(o.status).toBe('budgetExhausted');
    expect(o.costUsed).toBeLessThanOrEqual(5);
  });
});
