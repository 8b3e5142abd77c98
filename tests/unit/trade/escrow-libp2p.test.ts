/**
 * The escrow pledge on real libp2p (two in-process nodes on loopback WebSocket, the CLI's
 * startMeshPeer): the requester assigns a job and its process dies (node stopped, wallet signs
 * nothing more) while the contributor runs it; after the deadline + grace the contributor redeems
 * the pledge it got with the assignment and its ledger's job record says why it was paid.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { blake3 } from '@noble/hashes/blake3.js';
import { afterAll, describe, expect, it } from 'vitest';
import { startMeshPeer, samePeer, type MeshPeer } from '../../../src/cli/mesh-peer.ts';
import { MICRO_CREDITS_PER_CREDIT, REQUESTER_LEFT_REASON } from '../../../src/ledger/index.ts';
import { MarketContributor, MarketRequester, MarketWallet } from '../../../src/trade/index.ts';
import { TEST_BITS } from './_world.ts';

const GRACE_MS = 500;
const DEADLINE_MS = 4_000;
const peers: MeshPeer[] = [];

const until = async (ok: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

afterAll(async () => {
  await Promise.all(peers.map((p) => p.stop().catch(() => undefined)));
}, 30_000);

describe('escrow on real libp2p', () => {
  it('a requester killed after assigning still pays: the contributor redeems its pledge from escrow', async () => {
    const cw = await MarketWallet.open(new IDBFactory());
    const rw = await MarketWallet.open(new IDBFactory());
    const c = await startMeshPeer(cw.identity, []);
    peers.push(c);
    const addr = c.libp2p.getMultiaddrs()[0]!.toString();
    const r = await startMeshPeer(rw.identity, [addr]);
    peers.push(r);
    await rw.mint(8, undefined, undefined, TEST_BITS);

    let killed = false;
    let ran = false;
    const contributor = new MarketContributor({
      node: c.node,
      chunks: c.chunks,
      signer: cw.identity,
      capsules: [{ name: 'crypto', version: 1 }],
      workers: 1,
      run: async (job) => {
        // The requester's process dies while its job runs.
        killed = true;
        await r.stop();
        ran = true;
        return { status: 'ok', costUsed: 1, output: blake3(new TextEncoder().encode(job.params)), error: '' };
      },
      receive: (b, w) => cw.receive(b, w),
      acceptPledge: (b) => cw.acceptPledge(b),
      redeem: (b, res, w) => cw.redeem(b, res, w),
    });
    contributor.start();
    await until(async () => {
      await contributor.advertise().catch(() => undefined);
      return r.node.adverts.offering('crypto', Math.random).length > 0;
    }, "the requester seeing the contributor's advert");

    const live = rw.requesterPayments();
    const gone = <T>(f: () => Promise<T>): Promise<T> => (killed ? new Promise<T>(() => {}) : f());
    const requester = new MarketRequester({
      node: r.node,
      chunks: r.chunks,
      signer: rw.identity,
      samePeer,
      pledgeGraceMs: GRACE_MS,
      payments: {
        hold: (j, b) => gone(() => live.hold(j, b)),
        pay: (h, p, a, w) => gone(() => live.pay(h, p, a, w)),
        release: (h, why) => gone(() => live.release(h, why)),
        pledge: (h, p, a, w) => gone(() => live.pledge!(h, p, a, w)),
      },
    });
    const start = Date.now();
    void requester
      .submit({
        capsule: 'crypto',
        method: 'sha256',
        params: '{"x":1}',
        budget: 2,
        deadlineMs: DEADLINE_MS,
        redundancy: 1,
      })
      .catch(() => undefined);
    await until(() => ran, 'the contributor running the job');
    expect(await contributor.redeemDue()).toEqual([]);
    await until(() => Date.now() > start + DEADLINE_MS + GRACE_MS + 200, 'the pledge falling due', 20_000);
    const events = await contributor.redeemDue();
    expect(events).toMatchObject([
      { kind: 'paid', credits: 2 * MICRO_CREDITS_PER_CREDIT, detail: REQUESTER_LEFT_REASON },
    ]);
    const job = (await cw.ledger.summary()).recent[0];
    expect(job).toMatchObject({ reason: REQUESTER_LEFT_REASON, credits: 2 * MICRO_CREDITS_PER_CREDIT });
    expect((await cw.balance()).peerCredits).toBe(2 * MICRO_CREDITS_PER_CREDIT);
    contributor.stop();
  }, 90_000);
});
