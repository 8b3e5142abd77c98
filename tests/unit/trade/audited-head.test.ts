/**
 * `since` on the wire: a contributor's signed claim carries its audited head of the requester's
 * chain, and the requester's pledge and pay carry only the records after it. A head that is not on
 * the requester's chain (a future seq, a wrong hash, another payer's record) sends the whole chain
 * and says so; a head on the chain that the contributor never audited gets it refused, not paid.
 * On the simulated mesh (virtual time, seeded) with real wallets, signatures and audits.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { entryHash } from '../../../src/ledger/index.ts';
import { MarketRequester, MarketWallet, type MarketEvent } from '../../../src/trade/index.ts';
import { seedFromEnv } from '../_prng.ts';
import {
  recordingPayments,
  simPeers,
  walletContributor,
  type SentBundle,
  type SimPeer,
  TEST_BITS,
  advertiseAll,
} from './_world.ts';

const SEED = seedFromEnv(20261128);

type Head = { seq: number; hash: string } | undefined;
interface Peer extends SimPeer {
  /** What this contributor tells in its claims (default: the truth, its wallet's audited head). */
  head?: (requester: string) => Promise<Head>;
}

async function world(seed: number, contributors: number) {
  const { rand, net, peers, settle } = await simPeers(seed, contributors + 1);
  const cs = peers.slice(1).map((p: Peer) =>
    walletContributor(p, {
      run: () => Promise.resolve({ status: 'ok', costUsed: 1, output: new Uint8Array([1, 2, 3]), error: '' }),
      auditedHead: (r) => (p.head ?? ((x) => p.wallet.auditedHead(x)))(r),
    }),
  );
  const r = peers[0]!;
  const own = r.wallet.nodeId;
  const sent: SentBundle[] = [];
  const requester = new MarketRequester({
    node: r.node,
    chunks: r.chunks,
    signer: r.wallet.identity,
    random: rand,
    payments: recordingPayments(r.wallet, sent),
  });
  const job = async (n: number, events: MarketEvent[] = []) => {
    await advertiseAll(cs, net);
    return settle(
      requester.submit(
        { capsule: 'crypto', method: 'sha256', params: `{"n":${n}}`, budget: 2, deadlineMs: 20_000 },
        (e) => events.push(e),
      ),
    );
  };
  return { peers: peers as Peer[], requester, sent, job, own };
}

describe(
  `since on the wire: claims carry the payee's audited head (seed ${SEED})`,
  { timeout: 90_000 },
  () => {
    it('after the first job, pledges and pays carry only the records after each contributor’s head', async () => {
      console.info(`[audited-head] seed ${SEED}`);
      const { peers, sent, job, own } = await world(SEED, 2);
      const r = peers[0]!;
      await r.wallet.mint(60, undefined, undefined, TEST_BITS);
      const first = await job(1);
      expect(Object.keys(first.paid)).toHaveLength(2);
      const whole = sent.filter((s) => s.kind === 'pledge');
      // First contact: nothing audited, the whole chain from seq 1.
      expect(whole.every((s) => s.from === 1)).toBe(true);
      // The pay that closes each pledge carries only what came after it, not the chain again.
      const firstPays = sent.filter((s) => s.kind === 'pay');
      expect(firstPays).toHaveLength(2);
      for (const s of firstPays) {
        expect(s.from).toBeGreaterThan(1);
        expect(s.own).toBeLessThan(whole[0]!.own);
      }
      const mark = sent.length;
      const events: MarketEvent[] = [];
      const second = await job(2, events);
      expect(Object.keys(second.paid)).toHaveLength(2);
      expect(events.filter((e) => e.kind === 'whole-chain')).toEqual([]);
      const later = sent.slice(mark);
      expect(later.length).toBe(4); // a pledge and a pay to each of the two
      for (const s of later) {
        const head = await peers.find((p) => p.wallet.nodeId === s.to)!.wallet.auditedHead(own);
        expect(s.from).toBeGreaterThan(1);
        expect(s.own).toBeLessThan(whole[0]!.own);
        expect(head!.seq).toBeGreaterThanOrEqual(s.from);
      }
      // The books balance: each contributor holds what the requester paid it.
      for (const p of peers.slice(1))
        expect((await p.wallet.balance()).peerCredits).toBe(
          (first.paid[p.wallet.nodeId] ?? 0) + (second.paid[p.wallet.nodeId] ?? 0),
        );
    });

    it('hostile heads (future seq, wrong hash, another payer’s record) get the whole chain, logged, and pay correctly', async () => {
      const { peers, sent, job } = await world(SEED + 1, 2);
      const r = peers[0]!;
      await r.wallet.mint(8, undefined, undefined, TEST_BITS);
      await job(1);
      const chain = await r.wallet.ledger.history();
      const tip = chain[chain.length - 1]!;
      const otherPayer = await MarketWallet.open(new IDBFactory());
      await otherPayer.mint(1, undefined, undefined, TEST_BITS);
      const foreign = (await otherPayer.ledger.history())[0]!;
      const hostile: [string, Head][] = [
        ['future seq', { seq: tip.seq + 1000, hash: entryHash(tip) }],
        ['wrong hash', { seq: 3, hash: 'ab'.repeat(32) }],
        ['another payer’s head', { seq: foreign.seq, hash: entryHash(foreign) }],
      ];
      for (const [i, [what, head]] of hostile.entries()) {
        const liar = peers[1]!;
        liar.head = () => Promise.resolve(head);
        const before = (await liar.wallet.balance()).peerCredits;
        const mark = sent.length;
        const events: MarketEvent[] = [];
        const done = await job(10 + i, events);
        const toLiar = sent.slice(mark).filter((s) => s.to === liar.wallet.nodeId);
        expect(toLiar.length, what).toBeGreaterThan(0);
        expect(
          toLiar.every((s) => s.from === 1),
          what,
        ).toBe(true);
        expect(
          events.some((e) => e.kind === 'whole-chain' && /sending the whole chain/.test(e.detail ?? '')),
          what,
        ).toBe(true);
        expect((await liar.wallet.balance()).peerCredits - before, what).toBe(done.paid[liar.wallet.nodeId]);
        expect(done.paid[liar.wallet.nodeId], what).toBeGreaterThan(0);
      }
    });

    it('a head on the requester’s chain that the contributor never audited earns it nothing', async () => {
      const { peers, job, own } = await world(SEED + 2, 3);
      const r = peers[0]!;
      await r.wallet.mint(8, undefined, undefined, TEST_BITS);
      const liar = peers[1]!;
      // Claims to have audited the requester's whole chain (it has seen none of it).
      liar.head = async () => {
        const h = await r.wallet.ledger.history();
        const tip = h[h.length - 1]!;
        return { seq: tip.seq, hash: entryHash(tip) };
      };
      const events: MarketEvent[] = [];
      const done = await job(1, events);
      expect(done.paid[liar.wallet.nodeId]).toBeUndefined();
      expect(Object.keys(done.paid)).toHaveLength(2);
      expect((await liar.wallet.balance()).balance).toBe(0);
      expect(await liar.wallet.auditedHead(own)).toBeUndefined();
      const refusals = await liar.wallet.ledger.refused();
      expect(refusals.length).toBeGreaterThan(0);
      expect(refusals.every((x) => x.code === 'uncovered')).toBe(true);
    });
  },
);
