/**
 * Chunked pay bundles on the simulated mesh (virtual time, seeded, real wallets and audits): a
 * requester whose chain is over 2,000 records (its whole chain ~1.3 MB, over the 1 MiB RPC body)
 * pledges to and pays a contributor that never audited it. The pledge (and the pay, to a contributor
 * that tells no audited head) travel as BLAKE3 chunks the requester serves, named by a signed frame;
 * the contributor fetches, checks, audits, books, and then knows the head (its result tells it), so
 * the pay and the next job's bundles are `since` and inline. A tampered
 * chunk is a refused payment with its reason (the contributor keeps working); a requester that
 * vanishes while its pay bundle is fetched leaves a refused payment and a redeemable pledge.
 *
 * One world for the file (the 2,100-record chain is signed and restored once): each case gets a
 * contributor of its own that never audited the requester, and a fresh MarketRequester; the previous
 * case's contributor stops and its advert lapses first, so each job can go to this case's only. The
 * cases run in order (the last one takes the requester off the mesh).
 */
import { zeroReceiptChain } from '../ledger/_zero-chain.ts';
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { REQUESTER_LEFT_REASON } from '../../../src/ledger/index.ts';
import {
  MARKET_LIMITS,
  MemoryChunks,
  PLEDGE_GRACE_MS,
  type ContributorEvent,
  type MarketContributor,
  type MarketEvent,
  type MarketRequester,
} from '../../../src/trade/index.ts';
import { seedFromEnv } from '../_prng.ts';
import { requesterOn, simPeers, TEST_BITS, walletContributor, type SimPeer } from './_world.ts';

const SEED = seedFromEnv(20261129);
const RECORDS = 2_100;
/** A contributor's advert lives 60 s (MarketContributor.advertise); past it the requester forgets it. */
const ADVERT_LAPSE_MS = 61_000;

/** The requester's chunks, with a hook on every chunk it serves (tamper, vanish). */
class ServedChunks extends MemoryChunks {
  onServe?: (hash: Uint8Array, bytes: Uint8Array) => Uint8Array;
  override get(hash: Uint8Array): Uint8Array | undefined {
    const b = super.get(hash);
    return b === undefined || this.onServe === undefined ? b : this.onServe(hash, b);
  }
}

type World = Awaited<ReturnType<typeof world>>;

/** Peer 0: the long-chain requester; 1–3: one fresh contributor per case; 4: a short-chain requester. */
async function world(seed: number) {
  const { rand, net, now, peers, settle } = await simPeers(seed, 5, () => new ServedChunks());
  const r = peers[0]!;
  // The requester's chain: RECORDS − 6 signed zero receipts (restored as a backup), then a mint.
  const chain = zeroReceiptChain(
    r.wallet.identity,
    RECORDS - 6,
    (seq) => now() - (RECORDS - seq) * 1000,
    rand,
  );
  await r.wallet.ledger.restore(chain);
  await r.wallet.mint(40, undefined, undefined, TEST_BITS);
  const o = peers[4]!;
  await o.wallet.mint(8, undefined, undefined, TEST_BITS);
  let previous: MarketContributor | null = null;
  /** Case `k`'s contributor (on peer k) and requester, after the last case's contributor lapsed. */
  /** `heads: false`: a contributor that tells no audited head (claims, results): its pays are whole chains too. */
  const fresh = async (k: 1 | 2 | 3, { heads = true } = {}) => {
    if (previous !== null) {
      previous.stop();
      await net.sched.runUntil(net.sched.now + ADVERT_LAPSE_MS);
    }
    const c = peers[k]!;
    const events: ContributorEvent[] = [];
    const contributor = walletContributor(c, {
      run: () => Promise.resolve({ status: 'ok', costUsed: 1, output: new Uint8Array([1, 2, 3]), error: '' }),
      redeem: (bundle, result, work) => c.wallet.redeem(bundle, result, work),
      ...(heads ? { auditedHead: (x: string) => c.wallet.auditedHead(x) } : {}),
      onEvent: (e) => events.push(e),
    });
    previous = contributor;
    const requester = requesterOn(r, rand);
    const job = async (n: number, log: MarketEvent[] = [], by: MarketRequester = requester) => {
      await contributor.advertise();
      await net.sched.runUntil(net.sched.now + 3000);
      return settle(
        by.submit(
          {
            capsule: 'crypto',
            method: 'sha256',
            params: `{"n":${n}}`,
            budget: 2,
            deadlineMs: 60_000,
            redundancy: 1,
          },
          (e) => log.push(e),
        ),
      );
    };
    return { c: c as SimPeer<ServedChunks>, contributor, events, job };
  };
  return { net, r: r as SimPeer<ServedChunks>, o, rand, fresh };
}

describe(
  `chunked pledge and pay bundles, a ${RECORDS}-record requester (seed ${SEED})`,
  { timeout: 240_000 },
  () => {
    let w: World;
    beforeAll(async () => {
      console.info(`[chunked-bundle] seed ${SEED}`);
      w = await world(SEED);
    }, 240_000);

    it('a fresh contributor is pledged through chunks; its result tells its head, so the pay and the next job are since, inline', async () => {
      const { r } = w;
      const { c, events, job } = await w.fresh(1);
      expect(await c.wallet.auditedHead(r.wallet.nodeId)).toBeUndefined();
      let served = 0;
      r.chunks.onServe = (_h, b) => (served++, b);
      const log: MarketEvent[] = [];
      const first = await job(1, log);
      // The whole chain is over the inline bound: the pledge went as chunks the contributor fetched.
      expect(served).toBeGreaterThan(1);
      const paid = log.find((e) => e.kind === 'paid');
      // The pay closing the pledge carries only what came after the head the result told.
      expect(paid?.chunkedBytes).toBeUndefined();
      expect(paid?.bytes).toBeLessThan(MARKET_LIMITS.inlineBundleBytes / 100);
      expect(paid?.detail).toBeUndefined(); // the payee confirmed
      expect(events.find((e) => e.kind === 'pledged')).toBeDefined();
      expect(events.filter((e) => e.kind === 'refused-payment')).toEqual([]);
      expect((await c.wallet.balance()).peerCredits).toBe(first.paid[c.wallet.nodeId]);
      expect(first.paid[c.wallet.nodeId]).toBeGreaterThan(0);
      const head = await c.wallet.auditedHead(r.wallet.nodeId);
      expect(head?.seq).toBeGreaterThan(RECORDS);
      // Item 2: the audited head is told in the next claim; pledge and pay go `since`, inline.
      const next: MarketEvent[] = [];
      const second = await job(2, next);
      const pay2 = next.find((e) => e.kind === 'paid');
      expect(pay2?.chunkedBytes).toBeUndefined();
      expect(pay2!.bytes!).toBeLessThan(MARKET_LIMITS.inlineBundleBytes / 100);
      expect((await c.wallet.balance()).peerCredits).toBe(
        first.paid[c.wallet.nodeId]! + second.paid[c.wallet.nodeId]!,
      );
      // The requester's bundle chunks are dropped once delivered.
      expect(r.chunks.size).toBe(0);
    });

    it('a tampered chunk is a refused payment with its reason; the contributor keeps working and is paid next', async () => {
      const { r, o, rand } = w;
      const { c, events, job } = await w.fresh(2, { heads: false });
      expect(await c.wallet.auditedHead(r.wallet.nodeId)).toBeUndefined();
      // The pledge arrives intact; the pay bundle's chunks come back with one byte flipped.
      let tampered = 0;
      r.chunks.onServe = (_h, b) => {
        if (!events.some((e) => e.kind === 'returned')) return b;
        tampered++;
        const bad = b.slice();
        bad[100] = (bad[100]! ^ 0xff) & 0xff;
        return bad;
      };
      const log: MarketEvent[] = [];
      const first = await job(1, log);
      delete r.chunks.onServe;
      expect(tampered).toBeGreaterThan(0);
      const refused = events.filter((e) => e.kind === 'refused-payment');
      expect(refused).toHaveLength(1);
      expect(refused[0]!.detail).toMatch(
        /chunked bundle .* could not be fetched from the requester: chunk [0-9a-f]{16}… bad-chunk: .*do not hash/,
      );
      expect(log.find((e) => e.kind === 'paid')?.detail).toMatch(/payee did not confirm/);
      expect((await c.wallet.balance()).peerCredits).toBe(0);
      expect(first.paid[c.wallet.nodeId]).toBeGreaterThan(0); // the requester's side: it signed the pay
      // The requester that served bad bytes is penalised by the contributor's mesh reputation; the
      // contributor itself keeps working: another requester's job is run, paid and booked.
      const second = await job(2, [], requesterOn(o, rand));
      expect((await c.wallet.balance()).peerCredits).toBe(second.paid[c.wallet.nodeId]);
      expect(second.paid[c.wallet.nodeId]).toBeGreaterThan(0);
    });

    it('a requester that vanishes while its pay bundle is fetched: payment refused, not hung; the pledge is redeemed', async () => {
      const { net, r } = w;
      const { c, contributor, events, job } = await w.fresh(3, { heads: false });
      expect(await c.wallet.auditedHead(r.wallet.nodeId)).toBeUndefined();
      let served = 0;
      r.chunks.onServe = (_h, b) => {
        if (events.some((e) => e.kind === 'returned') && served++ === 0) r.sim.up = false;
        return b;
      };
      await job(1).catch(() => undefined);
      expect(served).toBeGreaterThan(0);
      const refused = events.filter((e) => e.kind === 'refused-payment');
      expect(refused).toHaveLength(1);
      expect(refused[0]!.detail).toMatch(/could not be fetched from the requester/);
      expect((await c.wallet.balance()).peerCredits).toBe(0);
      // Escrow: after the deadline + grace the kept pledge is redeemed, "requester left".
      await net.sched.runUntil(net.sched.now + 60_000 + PLEDGE_GRACE_MS + 1000);
      const redeemed = await contributor.redeemDue();
      expect(redeemed).toMatchObject([{ kind: 'paid', detail: REQUESTER_LEFT_REASON }]);
      expect((await c.wallet.balance()).peerCredits).toBe(redeemed[0]!.credits);
      expect(redeemed[0]!.credits).toBeGreaterThan(0);
    });
  },
);
