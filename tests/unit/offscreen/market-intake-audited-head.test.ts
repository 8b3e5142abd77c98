/**
 * The extension's contributor tells its audited head: the document's MarketIntake asks the
 * background's ledger (`market/audited-head`, served by MarketContributorBridge from the wallet's
 * Payments.auditedChainHead) at each accepting claim, so a requester that paid this browser before
 * pledges and pays only the records after that head (`since`), not its whole chain again. Without
 * it every pledge and pay to a browser carried the requester's whole chain.
 *
 * On the simulated mesh (virtual time, seeded) with real wallets, signatures, audits and the real
 * bridge handler; the engine is a stand-in that hashes the params (what runs is not under test).
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { describe, expect, it } from 'vitest';
import type { JobOutcome } from '../../../src/engine/job-engine.ts';
import { MarketContributorBridge } from '../../../src/background/market-contributor.ts';
import { MarketIntake } from '../../../src/offscreen/market-intake.ts';
import { MarketRequester, type MarketEvent } from '../../../src/trade/index.ts';
import { seedFromEnv } from '../_prng.ts';
import { recordingPayments, simPeers, type SentBundle, TEST_BITS } from '../trade/_world.ts';

const SEED = seedFromEnv(20261129);

describe(
  `the extension's contributor claims with its audited head (seed ${SEED})`,
  { timeout: 90_000 },
  () => {
    it('after a first paid job, pledges and pays to the browsers carry only the records after their heads', async () => {
      console.info(`[intake audited-head] seed ${SEED}`);
      const { rand, net, now, peers, settle } = await simPeers(SEED, 3);
      const asked: string[] = [];
      const intakes = peers.slice(1).map((p) => {
        // The background's handler, as `market/audited-head` reaches it from the document.
        const bridge = new MarketContributorBridge({
          queue: new Promise(() => {}), // unused by this message
          receive: (b, w) => p.wallet.receive(b, w),
          acceptPledge: (b) => p.wallet.acceptPledge(b),
          redeem: () => Promise.reject(new Error('not redeemed here')),
          auditedHead: (r) => p.wallet.auditedHead(r),
          changed: () => {},
          now,
        }).handlers();
        const engine = {
          submit: (s: { params?: string }): Promise<JobOutcome> =>
            Promise.resolve({
              id: '',
              status: 'ok',
              output: blake3(new TextEncoder().encode(s.params ?? '')),
              costUsed: 1,
              error: '',
              worker: 0,
              ms: 1,
              bytesCopied: 0,
            }),
        };
        const intake = new MarketIntake({
          mesh: { meshNode: p.node, marketChunks: p.chunks },
          loadSigner: () => Promise.resolve(p.wallet.identity),
          engine: () => engine,
          limits: () => ({ decline: null, optOut: [], workers: 2 }),
          notify: () => Promise.resolve(),
          receive: (b, w) => p.wallet.receive(b, w),
          acceptPledge: (b) => p.wallet.acceptPledge(b),
          redeem: () => Promise.reject(new Error('not redeemed here')),
          auditedHead: async (requester) => {
            asked.push(requester);
            return (await bridge['market/audited-head']({ requester }, undefined)).head ?? undefined;
          },
        });
        intake.sync();
        return intake;
      });
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
      await net.sched.runUntil(net.sched.now + 1000);
      expect(intakes.every((i) => i.attached)).toBe(true);
      const job = async (n: number, events: MarketEvent[] = []) => {
        for (const p of peers.slice(1))
          await p.node.adverts.publish({
            ttlMs: 60_000,
            capsules: [{ name: 'crypto', version: 1 }],
            workers: 2,
            gpu: { available: false, vendor: '', architecture: '' },
            throttle: 1,
          });
        await net.sched.runUntil(net.sched.now + 3000);
        return settle(
          requester.submit(
            { capsule: 'crypto', method: 'sha256', params: `{"n":${n}}`, budget: 2, deadlineMs: 20_000 },
            (e) => events.push(e),
          ),
        );
      };
      await r.wallet.mint(60, undefined, undefined, TEST_BITS);
      const first = await job(1);
      expect(Object.keys(first.paid)).toHaveLength(2);
      const whole = sent.filter((s) => s.kind === 'pledge');
      expect(whole.every((s) => s.from === 1)).toBe(true); // first contact: nothing audited yet
      const mark = sent.length;
      const events: MarketEvent[] = [];
      const second = await job(2, events);
      expect(Object.keys(second.paid)).toHaveLength(2);
      expect(asked.filter((a) => a === own).length).toBeGreaterThanOrEqual(4); // every accepting claim asked
      expect(events.filter((e) => e.kind === 'whole-chain')).toEqual([]);
      const later = sent.slice(mark);
      expect(later.length).toBe(4); // a pledge and a pay to each browser
      for (const s of later) {
        expect(s.from, `${s.kind} to ${s.to.slice(0, 8)}`).toBeGreaterThan(1);
        expect(s.own).toBeLessThan(whole[0]!.own);
      }
      const bytes = (xs: SentBundle[]) => xs.reduce((n, s) => n + s.bytes, 0) / xs.length;
      const firstPays = sent.slice(0, mark).filter((s) => s.kind === 'pay');
      const laterPays = later.filter((s) => s.kind === 'pay');
      // The first pays too: each result told the head its pledge's audit left (no second whole chain).
      expect(bytes(firstPays)).toBeLessThan(bytes(whole));
      expect(bytes(laterPays)).toBeLessThan(bytes(whole));
      console.info(
        `[intake audited-head] first pledge ${bytes(whole).toFixed(0)} B (whole chain) → first pay ${bytes(firstPays).toFixed(0)} B, later pays ${bytes(laterPays).toFixed(0)} B (since the head)`,
      );
      // The books balance: each browser's ledger holds what the requester paid it.
      for (const p of peers.slice(1))
        expect((await p.wallet.balance()).peerCredits).toBe(
          (first.paid[p.wallet.nodeId] ?? 0) + (second.paid[p.wallet.nodeId] ?? 0),
        );
    });
  },
);
