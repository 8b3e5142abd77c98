/**
 * Issue #14 across the mesh: a fork (a payer's two records at one seq) caught by one contributor is
 * gossiped on inos/forks/1, and every peer that checks the proof refuses that payer's pledges and
 * pays from then on, though the forker never paid it. Bogus proofs are rejected, not relayed, and
 * penalise their origin. On the simulated mesh (virtual time, seeded) with real wallets.
 */
import { describe, expect, it } from 'vitest';
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { signEntry, type ForkProof, type LedgerEntry } from '../../../src/ledger/index.ts';
import { FORKS_TOPIC } from '../../../src/mesh/protocol/ids.ts';
import {
  decodeForkFrame,
  encodeForkFrame,
  ForkGossip,
  JOIN_GRACE_MS,
  MAX_FORK_FRAME_BYTES,
} from '../../../src/mesh/protocol/forks.ts';
import type { MeshPort } from '../../../src/mesh/protocol/port.ts';
import { Reputation } from '../../../src/mesh/protocol/reputation.ts';
import { MarketWallet, walletForkWatch, type ForkWatch } from '../../../src/trade/index.ts';
import { seedFromEnv } from '../_prng.ts';
import { doubleSpend, refusal, simPeers, TEST_BITS, type SimPeer } from './_world.ts';

const SEED = seedFromEnv(20261128);
const what = { jobId: 'j', capsule: 'crypto', method: 'sha256' };

async function world() {
  const w = await simPeers(SEED, 5);
  const watches: ForkWatch[] = w.peers.map((p) => {
    const fw = walletForkWatch(p.node, p.wallet);
    fw.start();
    return fw;
  });
  /** Virtual time runs until every peer in `ps` refuses `payer` (gossip + async wallet writes). */
  const untilBanned = (ps: SimPeer[], payer: string) =>
    w.settle(
      (async () => {
        for (;;) {
          const banned = await Promise.all(ps.map((p) => p.wallet.payments.isBanned(payer)));
          if (banned.every(Boolean)) return;
          await new Promise((r) => setTimeout(r, 5));
        }
      })(),
      60_000,
    );
  return { ...w, watches, untilBanned };
}

describe(`fork proofs travel the mesh (seed ${SEED})`, { timeout: 60_000 }, () => {
  it('X catches a fork and gossips it; Y and Z, never paid by the forker, refuse its pledge and pay', async () => {
    console.log(`forks.test seed ${SEED}`);
    const { peers, watches, untilBanned } = await world();
    const [a, x, y, z, w] = peers as [SimPeer, SimPeer, SimPeer, SimPeer, SimPeer];
    const forker = a.wallet.nodeId;
    // The same seq signed again with other content: the same credits spent twice.
    const { first, second } = await doubleSpend(a.wallet, x.wallet.nodeId);

    const xw = watches[1]!;
    await xw.guard(first, () => x.wallet.receive(first, { cpuMs: 0 }));
    expect(xw.counters.published).toBe(0);
    const caught = await refusal(xw.guard(second, () => x.wallet.receive(second, { cpuMs: 0 })));
    expect(caught.reason).toBe('double-spend');
    expect(caught.detail).toMatch(/signed two records at seq/);
    expect(xw.counters.published).toBe(1);
    expect(x.node.forks.counters.published).toBe(1);

    await untilBanned([y, z, w], forker);
    for (const p of [y, z, w]) expect(p.node.forks.proof(forker)?.seq).toBe(first.pay.seq);
    // Y: a genuine, covered pay from the forker's real chain; Z: a genuine pledge. Both refused.
    const h2 = await a.wallet.payments.hold('job-2', 1_000_000);
    const toY = await a.wallet.payments.pay(h2.id, y.wallet.nodeId, 500_000, { ...what, jobId: 'k' });
    const py = await refusal(watches[2]!.guard(toY, () => y.wallet.receive(toY, { cpuMs: 0 })));
    expect(py).toMatchObject({ reason: 'double-spend' });
    expect(py.detail).toMatch(/signed a fork earlier/);
    const pledge = await a.wallet.payments.pledge(h2.id, z.wallet.nodeId, 400_000, {
      ...what,
      jobId: 'l',
      redeemAfter: a.wallet.ledger.now() + 60_000,
    });
    const pz = await refusal(watches[3]!.guard(pledge, () => z.wallet.acceptPledge(pledge)));
    expect(pz).toMatchObject({ reason: 'double-spend' });
    expect(pz.detail).toMatch(/signed a fork earlier/);
    expect((await y.wallet.balance()).balance).toBe(0);
    expect((await z.wallet.balance()).balance).toBe(0);
    // Peers that learned it from gossip do not publish it again.
    expect(watches[2]!.counters.published + watches[3]!.counters.published).toBe(0);
    expect(watches.slice(2).reduce((n, fw) => n + fw.counters.reported, 0)).toBe(3);
  });

  it('drops a bogus proof (two signers, or one record twice), penalises its origin, keeps working', async () => {
    const { peers, settle, net, untilBanned } = await world();
    const [a, x, y, z, w] = peers as [SimPeer, SimPeer, SimPeer, SimPeer, SimPeer];
    await a.wallet.mint(8, undefined, undefined, TEST_BITS);
    const hold = await a.wallet.payments.hold('job-1', 1_000_000);
    const rec: LedgerEntry = (await a.wallet.ledger.history()).at(-1)!;
    expect(rec.id).toBe(hold.id);
    const twice = { ledger: rec.ledger, seq: rec.seq, a: rec, b: rec };
    // A record "at A's seq" signed by X: not A's signature.
    const forged = signEntry({ ...rec, id: 'forged', issuer: x.wallet.nodeId }, x.wallet.identity);
    const twoSigners = { ledger: rec.ledger, seq: rec.seq, a: rec, b: forged };
    for (const bogus of [twice, twoSigners]) {
      expect(decodeForkFrame(new TextEncoder().encode(JSON.stringify({ v: 1, proof: bogus })))).toMatchObject(
        {
          ok: false,
        },
      );
      await expect(x.node.forks.publish(bogus)).rejects.toThrow(/fork proof:/);
    }
    expect(decodeForkFrame(new Uint8Array(MAX_FORK_FRAME_BYTES + 1))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/at most/) as unknown,
    });
    expect(decodeForkFrame(new TextEncoder().encode('{"v":2}'))).toMatchObject({ ok: false });
    // X puts them on the wire anyway (past its own checks).
    const liar = x.sim.port.self;
    const frames = [twice, twoSigners].map((p) =>
      new TextEncoder().encode(JSON.stringify({ v: 1, proof: p })),
    );
    for (const f of frames) await x.sim.port.publish(FORKS_TOPIC, f);
    await settle(net.sched.runUntil(net.sched.now + 5_000).then(() => undefined));
    const neighbours = peers.filter((p) => p !== x && x.sim.mesh.has(p.sim));
    expect(neighbours.length).toBeGreaterThan(0);
    for (const p of neighbours) {
      expect(p.node.forks.counters.rejected).toBe(2);
      expect(p.node.reputation.inspect(liar)?.score ?? 1).toBeLessThan(0.5);
    }
    for (const p of [a, y, z, w]) expect(await p.wallet.payments.isBanned(a.wallet.nodeId)).toBe(false);
    // Not relayed: only X's own neighbours saw them.
    for (const p of peers.filter((q) => q !== x && !neighbours.includes(q)))
      expect(p.node.forks.counters.rejected).toBe(0);
    // The nodes keep working: a genuine proof (A's hold signed again at its seq) still travels.
    const other = signEntry({ ...rec, id: 'other-hold' }, a.wallet.identity);
    const genuine = { ledger: rec.ledger, seq: rec.seq, a: rec, b: other };
    expect(encodeForkFrame(genuine).length).toBeLessThan(MAX_FORK_FRAME_BYTES);
    expect(await y.node.forks.publish(genuine)).toBe(true);
    await untilBanned([a, x, z, w], a.wallet.nodeId);

    // A publish that fails (libp2p: no topic peers yet) is not remembered: the next refusal retries.
    let fail = true;
    const sent: Uint8Array[] = [];
    const port = {
      self: 'lonely',
      now: () => net.sched.now,
      publish: (_topic: string, data: Uint8Array) =>
        fail ? Promise.reject(new Error('no peers subscribed')) : (sent.push(data), Promise.resolve()),
    } as unknown as MeshPort;
    const lonely = new ForkGossip(port, new Reputation({ now: () => net.sched.now }));
    await expect(lonely.publish(genuine)).rejects.toThrow(/no peers/);
    expect(lonely.proof(a.wallet.nodeId)).toBeUndefined();
    fail = false;
    expect(await lonely.publish(genuine)).toBe(true);
    expect(decodeForkFrame(sent[0]!)).toMatchObject({ ok: true });
  });

  it('restored proofs: republished once per join after the grace unless heard; answers to solicits go through the budget', async () => {
    const wallets = await Promise.all([0, 1, 2, 3].map(() => MarketWallet.open(new IDBFactory())));
    const proofs: ForkProof[] = [];
    for (const forker of wallets.slice(0, 3)) {
      const { first, second } = await doubleSpend(forker, wallets[3]!.nodeId);
      proofs.push({ ledger: forker.nodeId, seq: first.pay.seq, a: first.pay, b: second.pay });
    }
    let t = 1_000_000;
    const sent: ForkProof[] = [];
    const port = {
      self: 'me',
      now: () => t,
      publish: (_topic: string, data: Uint8Array) => {
        const d = decodeForkFrame(data);
        if (d.ok) sent.push(d.proof);
        return Promise.resolve();
      },
    } as unknown as MeshPort;
    const owedWaits: number[] = [];
    const forks = new ForkGossip(port, new Reputation({ now: () => t }));
    forks.onOwed = (ms) => owedWaits.push(ms);
    // Only valid proofs are restored; nothing is sent before we join.
    expect(forks.restore([...proofs, { ledger: 'x', seq: 1, a: {}, b: {} }, null])).toBe(3);
    expect(forks.proof(proofs[0]!.ledger)).toEqual(proofs[0]);
    await forks.flushOwed();
    expect(sent).toEqual([]);
    // Joined: owed after the grace. Meanwhile the mesh sends us proof 0 (the neighbour knew it).
    forks.joined();
    expect(owedWaits.at(-1)).toBe(JOIN_GRACE_MS);
    await forks.flushOwed();
    expect(sent).toEqual([]);
    t += 100;
    const frame = (p: ForkProof) => ({
      from: 'neighbour',
      via: 'neighbour',
      topic: FORKS_TOPIC,
      data: encodeForkFrame(p),
    });
    expect(forks.validate(frame(proofs[0]!))).toBe('ignore'); // known already, but heard
    t += JOIN_GRACE_MS;
    await forks.flushOwed();
    expect(sent.map((p) => p.ledger).sort()).toEqual([proofs[1]!.ledger, proofs[2]!.ledger].sort());
    expect(forks.counters).toMatchObject({ republished: 2, skipped: 1 });
    // A newcomer's solicitation: all three are owed, the budget (burst 3, two spent) sends one now.
    sent.length = 0;
    forks.answerSolicit();
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toHaveLength(1);
    expect(owedWaits.at(-1)).toBeGreaterThan(0);
    // One a minute after that: the rest go as the budget refills, each once.
    for (let i = 0; i < 3; i++) {
      t += 60_000;
      await forks.flushOwed();
    }
    expect(sent.map((p) => p.ledger).sort()).toEqual(proofs.map((p) => p.ledger).sort());
    expect(forks.counters.answered).toBe(3);
    // Joining again (back after being cut off, maybe to other neighbours): each once more, no more.
    forks.joined();
    sent.length = 0;
    for (let k = 0; k < 4; k++) {
      t += 60_000;
      await forks.flushOwed();
    }
    expect(sent.map((p) => p.ledger).sort()).toEqual(proofs.map((p) => p.ledger).sort());
    expect(forks.counters.republished).toBe(5);
  });
});
