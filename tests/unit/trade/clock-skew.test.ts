/**
 * Machines' clocks differ. A job's deadline is the requester's wall clock; a contributor judges it on
 * its own clock less the offset between the two, estimated from the RPC request (its wall-clock
 * deadline minus the budget it wrote). Before, a requester whose clock ran a minute behind had every
 * offer refused ("deadline passed" at the RPC layer, then "the deadline has passed" at the
 * contributor), and one a minute ahead had its jobs held a minute too long. On the simulated mesh
 * (virtual time, seeded) with real wallets and signatures.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { JobToRun, MarketEvent } from '../../../src/trade/index.ts';
import { seedFromEnv } from '../_prng.ts';
import { requesterOn, simPeers, TEST_BITS, walletContributor, advertiseAll } from './_world.ts';

const SEED = seedFromEnv(20261130);
const DEADLINE_MS = 20_000;

describe(`a requester whose clock is off (seed ${SEED})`, { timeout: 90_000 }, () => {
  for (const skewMs of [-60_000, 60_000]) {
    it(`${skewMs < 0 ? 'behind' : 'ahead'} by ${Math.abs(skewMs) / 1000} s: its job runs to the deadline it meant, on the contributors' clocks, and is paid`, async () => {
      console.info(`[clock-skew] seed ${SEED} skew ${skewMs} ms`);
      const { rand, net, peers, settle, now } = await simPeers(SEED, 3);
      const r = peers[0]!;
      r.sim.clockOffsetMs = skewMs;
      const deadlines: number[] = [];
      const run = (job: JobToRun) => {
        deadlines.push(job.deadlineMs - now());
        return Promise.resolve({
          status: 'ok' as const,
          costUsed: 1,
          output: new Uint8Array([7]),
          error: '',
        });
      };
      const cs = [walletContributor(peers[1]!, { run }), walletContributor(peers[2]!, { run })];
      await r.wallet.mint(20, undefined, undefined, TEST_BITS);
      const requester = requesterOn(r, rand);
      await advertiseAll(cs, net);
      const events: MarketEvent[] = [];
      const done = await settle(
        requester.submit(
          { capsule: 'crypto', method: 'sha256', params: '{}', budget: 2, deadlineMs: DEADLINE_MS },
          (e) => events.push(e),
        ),
      );
      expect(events.filter((e) => e.kind === 'declined')).toEqual([]);
      expect(Object.keys(done.paid)).toHaveLength(2);
      // Each run's deadline, on the contributor's clock, is the 20 s the requester gave, less the time
      // the offer and run calls took (the sim's latency), never a minute off.
      expect(deadlines).toHaveLength(2);
      for (const left of deadlines) {
        expect(left).toBeLessThanOrEqual(DEADLINE_MS);
        expect(left).toBeGreaterThan(DEADLINE_MS - 5_000);
      }
    });
  }
});
