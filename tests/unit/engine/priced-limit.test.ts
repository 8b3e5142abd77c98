/**
 * The run-time bound of a job priced by its work (capsule `price` + `priceBound`, src/capsules/price.ts):
 * it is charged its price whatever it takes, so its budget bounds the price, not the run time. The
 * host's watchdog gives it PRICED_RUN_FACTOR × min(price bound, budget) ms + slack (src/engine/cost.ts
 * `jobRunMs`), never less than the budget in ms, never more than the cost cap. Before, a 4 MiB sha256
 * with a budget of twice its price (26 credits) was stopped after 26 ms of wall time on a busy
 * browser and reported "budget exhausted"; giving every priced job the cost cap instead (eb8cefb,
 * reverted) let a hopeless `pow.search` with a budget of 150 run 120 s. An unpriced job keeps one
 * credit per millisecond.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METHOD_BOUNDS } from '../../../src/capsules/price';
import { jobRunMs, PRICED_RUN_FACTOR, PRICED_RUN_SLACK_MS } from '../../../src/engine/cost';
import { startEngine } from './_engine';

describe('jobRunMs', () => {
  it('keeps the budget rule without a bound, scales a bound, stays within [budget, cost cap]', () => {
    expect(jobRunMs({ budget: 26, costCap: 30_000 })).toBe(26);
    // 4 MiB sha256: bound 13 (its price with a 64-byte digest), budget 26.
    const sha = METHOD_BOUNDS['crypto.sha256']!({ inputBytes: 4 << 20, params: {} });
    expect(sha).toBe(13);
    expect(jobRunMs({ budget: 26, costCap: 30_000, bound: sha })).toBe(
      PRICED_RUN_FACTOR * 13 + PRICED_RUN_SLACK_MS,
    );
    // A hopeless pow.search (2^32 nonces, bound 1.3 M credits) with a budget of 150: 150 credits of work.
    const pow = METHOD_BOUNDS['pow.search']!({ inputBytes: 0, params: { nonceStart: 0, count: 2 ** 32 } });
    expect(pow).toBeGreaterThan(1_000_000);
    expect(jobRunMs({ budget: 150, costCap: 120_000, bound: pow })).toBe(
      PRICED_RUN_FACTOR * 150 + PRICED_RUN_SLACK_MS,
    );
    // Never below the budget in ms, never above the cost cap, a capsule's silent stretch as slack.
    expect(jobRunMs({ budget: 30_000, costCap: 30_000, bound: 13 })).toBe(30_000);
    expect(jobRunMs({ budget: 100_000, costCap: 120_000, bound: 1e9 })).toBe(120_000);
    expect(jobRunMs({ budget: 10, costCap: 120_000, bound: 5, maxSilentMs: 30_000 })).toBe(30_050);
    expect(METHOD_BOUNDS['pow.search']!({ inputBytes: 0, params: { count: 'all' } })).toBeUndefined();
  });
});

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

  it('a priced job that never ends is stopped by its bound, before the time limit', async () => {
    // The test capsule's time limit is 2 s and its cost cap 100000: with the cost cap as the bound
    // (eb8cefb) this job ran into the time limit ('timeout'); its bound stops it as over budget.
    const over = await h.engine.submit({ library: 'test', method: 'pricedSpin', budget: 1 });
    expect(over.status, over.error).toBe('budgetExhausted');
    expect(over.costUsed).toBeLessThanOrEqual(1);
    // Its price bound (1) below its budget (100): past 10× the bound it is a runaway, a timeout,
    // charged at most the budget.
    const runaway = await h.engine.submit({ library: 'test', method: 'pricedSpin', budget: 100 });
    expect(runaway.status, runaway.error).toBe('timeout');
    expect(runaway.costUsed).toBeLessThanOrEqual(100);
    // Each says which limit stopped it (before: "stopped: cancelled", the worker's view, for both).
    const limit = `${PRICED_RUN_FACTOR * 1 + PRICED_RUN_SLACK_MS} ms of run time`;
    expect(over.error).toBe(
      `stopped: the budget of 1 credits ran out (${limit}: 10 × min(its price bound of 1, its budget of 1) credits + ${PRICED_RUN_SLACK_MS} ms)`,
    );
    expect(runaway.error).toBe(
      `stopped: it ran too long (${limit}: 10 × min(its price bound of 1, its budget of 100) credits + ${PRICED_RUN_SLACK_MS} ms)`,
    );
  });

  it('an unpriced job is still stopped when its budget in ms runs out', async () => {
    const o = await h.engine.submit({ library: 'test', method: 'spin', budget: 5 });
    expect(o.status).toBe('budgetExhausted');
    expect(o.costUsed).toBeLessThanOrEqual(5);
  });
});
