/**
 * What a requester pays (src/trade/requester.ts): never one contributor's word alone. A priced
 * method (src/capsules/price.ts) is paid min(claimed, the requester's own price of the job, budget):
 * an inflating contributor that claims its whole budget is paid the price and recorded as
 * overclaiming. An unpriced method pays each agreeing contributor the quorum's lowest claim.
 * On the simulated mesh (virtual time, seeded) with real wallets and the real engine's `execute`.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { builtinCapsules } from '../../../src/capsules/builtin.ts';
import { priceOf } from '../../../src/capsules/price.ts';
import { runOnThread, steppingClock } from '../../_run-job.ts';
import { CapsuleRegistry } from '../../../src/engine/registry.ts';
import { MICRO_CREDITS_PER_CREDIT } from '../../../src/ledger/index.ts';
import { randomBytes } from '../../../src/mesh/sim/prng.ts';
import { type JobRun, type JobToRun, type MarketEvent } from '../../../src/trade/index.ts';
import { seedFromEnv } from '../_prng.ts';
import { requesterOn, simPeers, TEST_BITS, walletContributor } from './_world.ts';

const SEED = seedFromEnv(20261129);
const registry = new CapsuleRegistry(builtinCapsules);

/** The real engine on this thread, its clock jumping 50 ms a read (a loaded machine). */
async function engineRun(job: JobToRun): Promise<JobRun> {
  const r = await runOnThread(registry, {
    library: job.capsule,
    method: job.method,
    params: job.params,
    ...(job.input ? { input: job.input } : {}),
    budget: job.budget,
    clock: steppingClock(50),
  });
  return { status: r.status, costUsed: r.costUsed, output: r.out, error: r.error };
}

type Claim = (job: JobToRun, honest: JobRun) => JobRun;

async function world(seed: number, claims: Claim[]) {
  const { rand, net, peers, settle } = await simPeers(seed, claims.length + 1);
  const contributors = peers.slice(1).map((p, i) =>
    walletContributor(p, {
      capsules: [
        { name: 'crypto', version: 1 },
        { name: 'physics', version: 1 },
      ],
      run: async (job) => claims[i]!(job, await engineRun(job)),
    }),
  );
  const r = peers[0]!;
  const requester = requesterOn(r, rand);
  await r.wallet.mint(200, undefined, undefined, TEST_BITS);
  for (const c of contributors) await c.advertise();
  await net.sched.runUntil(net.sched.now + 3000);
  return { peers, requester, settle, rand };
}

const honest: Claim = (_job, run) => run;
const inflating: Claim = (job, run) => ({ ...run, costUsed: job.budget });

describe(`payment amounts (seed ${SEED})`, () => {
  it('pays an inflating contributor the price, not the whole budget it claims, and records the overclaim', async () => {
    console.info(`[pay-price] seed ${SEED}`);
    const { peers, requester, settle, rand } = await world(SEED, [honest, inflating]);
    const input = randomBytes(rand, 1_500_000);
    const events: MarketEvent[] = [];
    const job = { capsule: 'crypto', method: 'sha256', params: '{}', input, budget: 100, deadlineMs: 20_000 };
    const done = await settle(requester.submit(job, (e) => events.push(e)));
    expect(done.status).toBe('ok');
    const price = priceOf('crypto', 'sha256')!({ inputBytes: input.length, params: {}, output: done.output });
    // 2 credits per MiB hashed + 2 MiB moved: 5, small next to the budget.
    expect(price).toBe(Math.ceil((2 * input.length) / 2 ** 20) + 2);
    const [good, liar] = [peers[1]!.wallet.nodeId, peers[2]!.wallet.nodeId];
    expect(done.paid).toEqual({
      [good]: price * MICRO_CREDITS_PER_CREDIT,
      [liar]: price * MICRO_CREDITS_PER_CREDIT,
    });
    expect(done.overclaimed).toEqual({ [liar]: { claimed: 100, price } });
    expect(requester.reputation.overclaims(liar)).toBe(1);
    expect(requester.reputation.overclaims(good)).toBe(0);
    expect(events.filter((e) => e.kind === 'overclaimed').map((e) => e.contributor)).toEqual([liar]);
    // The honest contributor's engine claimed exactly the price, though its clock said ~seconds.
    expect((await peers[2]!.wallet.balance()).peerCredits).toBe(price * MICRO_CREDITS_PER_CREDIT);
    expect((await peers[1]!.wallet.balance()).peerCredits).toBe(price * MICRO_CREDITS_PER_CREDIT);
  }, 180_000);

  it('pays an unpriced method the lowest claim of the agreeing quorum to each, never the highest', async () => {
    // physics.step has no work-based price: the claims are the contributors' wall time.
    const fixed =
      (cost: number): Claim =>
      () => ({
        status: 'ok',
        costUsed: cost,
        output: Uint8Array.of(1, 2, 3),
        error: '',
      });
    const { peers, requester, settle } = await world(SEED + 1, [fixed(40), fixed(7)]);
    const done = await settle(
      requester.submit({ capsule: 'physics', method: 'step', params: '{}', budget: 50, deadlineMs: 20_000 }),
    );
    expect(Object.values(done.paid)).toEqual([7 * MICRO_CREDITS_PER_CREDIT, 7 * MICRO_CREDITS_PER_CREDIT]);
    expect(done.overclaimed).toBeUndefined();
    expect((await peers[1]!.wallet.balance()).peerCredits).toBe(7 * MICRO_CREDITS_PER_CREDIT);
  }, 180_000);
});
