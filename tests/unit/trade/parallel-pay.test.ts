/**
 * A verified job's payees are paid at once, not one after another: a payee that is slow to audit
 * and confirm its payment does not hold up the others. Contributor 1's wallet confirms only after
 * contributor 2 has been paid; paid one after another, contributor 1's payment times out first
 * ("payee did not confirm"). On the simulated mesh (virtual time, seeded) with real wallets,
 * signatures and audits.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../../src/trade/index.ts';
import { seedFromEnv } from '../_prng.ts';
import { requesterOn, simPeers, TEST_BITS, walletContributor, advertiseAll } from './_world.ts';

const SEED = seedFromEnv(20261128);

describe(`payees are paid at once (seed ${SEED})`, { timeout: 90_000 }, () => {
  it('a payee that confirms only after the other was paid: both confirm, both wallets credited', async () => {
    console.info(`[parallel-pay] seed ${SEED}`);
    const { rand, net, peers, settle } = await simPeers(SEED, 3);
    const [r, slow, quick] = [peers[0]!, peers[1]!, peers[2]!];
    let quickPaid!: () => void;
    const quickDone = new Promise<void>((resolve) => (quickPaid = resolve));
    const run = () =>
      Promise.resolve({ status: 'ok' as const, costUsed: 1, output: new Uint8Array([7]), error: '' });
    const cs = [
      walletContributor(slow, {
        run,
        receive: async (bundle, work) => {
          await quickDone;
          return slow.wallet.receive(bundle, work);
        },
      }),
      walletContributor(quick, {
        run,
        receive: async (bundle, work) => {
          const got = await quick.wallet.receive(bundle, work);
          quickPaid();
          return got;
        },
      }),
    ];
    await r.wallet.mint(20, undefined, undefined, TEST_BITS);
    const requester = requesterOn(r, rand);
    await advertiseAll(cs, net);
    const events: MarketEvent[] = [];
    const done = await settle(
      requester.submit(
        { capsule: 'crypto', method: 'sha256', params: '{}', budget: 2, deadlineMs: 20_000 },
        (e) => events.push(e),
      ),
    );
    const paid = events.filter((e) => e.kind === 'paid');
    expect(paid.map((e) => e.detail ?? 'confirmed')).toEqual(['confirmed', 'confirmed']);
    expect(Object.keys(done.paid).sort()).toEqual([slow.wallet.nodeId, quick.wallet.nodeId].sort());
    for (const p of [slow, quick]) expect((await p.wallet.balance()).peerCredits).toBeGreaterThan(0);
  });
});
