/**
 * The market protocol on the in-memory mesh (src/mesh/sim, virtual time, seeded): a requester and
 * four contributors with real wallets (fake-indexeddb), real signatures, real bound proof-of-work
 * and real payment audits. The contributors' engine is a deterministic function here (BLAKE3 of
 * params ‖ input, cost from the input size); the CLI tests run the real engine in real processes.
 */
import 'fake-indexeddb/auto';
import { blake3 } from '@noble/hashes/blake3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/mesh/sim/prng.ts';
import {
  NoContributorError,
  type MarketContributor,
  PLEDGE_GRACE_MS,
  type JobRun,
  type MarketEvent,
} from '../../../src/trade/index.ts';
import { seedFromEnv } from '../_prng.ts';
import { requesterOn, simPeers, TEST_BITS, walletContributor, type SimPeer } from './_world.ts';
import { verifyBoundProof } from '../../../src/capsules/pow/proof.ts';
import { MICRO_CREDITS_PER_CREDIT, REQUESTER_LEFT_REASON, verifyHistory } from '../../../src/ledger/index.ts';

const SEED = seedFromEnv(20261127);

function honestRun(params: string, input?: Uint8Array): JobRun {
  const p = new TextEncoder().encode(params);
  const all = new Uint8Array(p.length + (input?.length ?? 0));
  all.set(p);
  if (input) all.set(input, p.length);
  return {
    status: 'ok',
    costUsed: 1 + Math.floor((input?.length ?? 0) / 100_000),
    output: blake3(all),
    error: '',
  };
}

interface Peer extends SimPeer {
  contributor?: MarketContributor;
  ran: number;
}

async function world(
  seed: number,
  opts: { tamper?: number; slow?: number; onRun?: (i: number) => void } = {},
) {
  const { rand, net, settle, ...w } = await simPeers(seed, 5);
  const peers: Peer[] = w.peers.map((p) => ({ ...p, ran: 0 }));
  for (const [i, p] of peers.entries()) {
    if (i === 0) continue;
    const peer = p;
    p.contributor = walletContributor(p, {
      run: (job) => {
        peer.ran++;
        opts.onRun?.(i);
        const r = honestRun(job.params, job.input);
        if (i !== opts.slow) return Promise.resolve(r);
        // The slow one takes 60 virtual seconds, past any deadline in these tests.
        return new Promise((resolve) => net.sched.after(60_000, () => resolve(r), true));
      },
      redeem: (bundle, result, work) => p.wallet.redeem(bundle, result, work),
      ...(i === opts.tamper ? { tamper: (o: Uint8Array) => o.map((b) => b ^ 0xff) } : {}),
    });
  }
  const advertise = async () => {
    for (const p of peers.slice(1)) await p.contributor!.advertise();
    await net.sched.runUntil(net.sched.now + 3000);
  };
  const requesterPeer = peers[0]!;
  // kill(): the requester's process is gone: its node is down and its wallet signs nothing more.
  let killed = false;
  const live = requesterPeer.wallet.requesterPayments();
  const gone = <T>(f: () => Promise<T>): Promise<T> => (killed ? new Promise<T>(() => {}) : f());
  const requester = requesterOn(requesterPeer, rand, {
    payments: {
      hold: (j, b) => gone(() => live.hold(j, b)),
      pay: (h, p, a, w) => gone(() => live.pay(h, p, a, w)),
      release: (h, r) => gone(() => live.release(h, r)),
      pledge: (h, p, a, w) => gone(() => live.pledge!(h, p, a, w)),
    },
  });
  const kill = () => {
    killed = true;
    requesterPeer.sim.up = false;
  };
  return { net, peers, requester, settle, advertise, rand, kill };
}

const id = (p: Peer) => p.wallet.nodeId;

describe(`market protocol on the simulated mesh (seed ${SEED})`, () => {
  it('runs 10 jobs with a 2-identity quorum, pays each agreeing contributor its costUsed once, and the books balance', async () => {
    console.info(`[market sim] seed ${SEED}`);
    const { peers, requester, settle, advertise, rand } = await world(SEED);
    const r = peers[0]!;
    const t0 = performance.now();
    await r.wallet.mint(120, undefined, undefined, TEST_BITS);
    console.info(`[market sim] minted 120 credits in ${(performance.now() - t0).toFixed(0)} ms`);
    const before = (await r.wallet.balance()).balance;
    await advertise();
    const events: MarketEvent[] = [];
    const jobs = Array.from({ length: 10 }, (_, i) => ({
      params: JSON.stringify({ n: i }),
      input: i % 3 === 0 ? undefined : randomBytes(rand, i === 4 ? 2_500_000 : 1000 + i), // one job over 2 chunks
    }));
    const done = await settle(
      Promise.all(
        jobs.map((j) =>
          requester.submit(
            {
              capsule: 'crypto',
              method: 'sha256',
              params: j.params,
              ...(j.input ? { input: j.input } : {}),
              budget: 3,
              deadlineMs: 20_000,
            },
            (e) => events.push(e),
          ),
        ),
      ),
    );
    expect(events.filter((e) => e.kind === 'paid' && e.detail !== undefined)).toEqual([]);
    let total = 0;
    const paidTo = new Map<string, number>();
    for (const [i, d] of done.entries()) {
      expect(d.status).toBe('ok');
      expect(bytesToHex(d.output)).toBe(bytesToHex(honestRun(jobs[i]!.params, jobs[i]!.input).output));
      expect(Object.keys(d.paid)).toHaveLength(2);
      expect(d.penalised).toEqual([]);
      for (const [who, amount] of Object.entries(d.paid)) {
        total += amount;
        paidTo.set(who, (paidTo.get(who) ?? 0) + amount);
      }
    }
    const after = await r.wallet.balance();
    expect(after.held).toBe(0);
    expect(before - after.balance).toBe(total);
    for (const p of peers.slice(1)) {
      const b = await p.wallet.balance();
      expect(b.peerCredits).toBe(paidTo.get(id(p)) ?? 0);
      // One receipt per payment: nothing paid twice.
      const receipts = (await p.wallet.ledger.receipts()).filter((x) => x.payment !== undefined);
      expect(new Set(receipts.map((x) => x.jobId)).size).toBe(receipts.length);
    }
    expect(events.filter((e) => e.kind === 'paid' && e.detail !== undefined)).toEqual([]);
    expect(events.filter((e) => e.kind === 'paid')).toHaveLength(20);
  }, 60_000);

  it('catches a tampering contributor by the quorum: paid 0, excluded, no more work', async () => {
    const { peers, requester, settle, advertise } = await world(SEED + 1, { tamper: 2 });
    const r = peers[0]!;
    await r.wallet.mint(80, undefined, undefined, TEST_BITS);
    await advertise();
    const liar = peers[2]!;
    const results = [];
    for (let i = 0; i < 8; i++) {
      await advertise(); // adverts live 60 s; contributors re-advertise on a timer in real hosts
      results.push(
        await settle(
          requester.submit({
            capsule: 'crypto',
            method: 'sha256',
            params: `{"i":${i}}`,
            budget: 2,
            deadlineMs: 20_000,
          }),
        ),
      );
    }
    for (const [i, d] of results.entries()) {
      expect(bytesToHex(d.output)).toBe(bytesToHex(honestRun(`{"i":${i}}`).output));
      expect(d.paid[id(liar)]).toBeUndefined();
    }
    const caught = results.findIndex((d) => d.penalised.includes(id(liar)));
    expect(caught).toBeGreaterThanOrEqual(0);
    expect(requester.reputation.excluded(id(liar))).toBe(true);
    const ranWhenCaught = liar.ran;
    expect(ranWhenCaught).toBe(1);
    expect((await liar.wallet.balance()).balance).toBe(0);
  }, 60_000);

  it('reissues a job whose contributor vanishes mid-run; the vanished one is not paid', async () => {
    const { peers, requester, settle, advertise, net } = await world(SEED + 2, { slow: 1 });
    const r = peers[0]!;
    await r.wallet.mint(40, undefined, undefined, TEST_BITS);
    await advertise();
    const slow = peers[1]!;
    const events: MarketEvent[] = [];
    const job = requester.submit(
      { capsule: 'crypto', method: 'sha256', params: '{"v":1}', budget: 2, deadlineMs: 10_000 },
      (e) => {
        events.push(e);
        // The slow contributor goes down the moment it starts running.
        if (e.kind === 'running' && e.contributor === id(slow)) slow.sim.up = false;
      },
    );
    const d = await settle(job);
    void net;
    expect(bytesToHex(d.output)).toBe(bytesToHex(honestRun('{"v":1}').output));
    expect(d.paid[id(slow)]).toBeUndefined();
    expect(Object.keys(d.paid)).toHaveLength(2);
    expect(events.some((e) => e.kind === 'reissued' && e.contributor === slow.sim.id)).toBe(true);
    expect((await slow.wallet.balance()).balance).toBe(0);
  }, 60_000);

  it('pays from escrow when the requester is killed after assigning: each contributor with a result redeems its pledge once', async () => {
    let started = (): void => {};
    const killedAt = new Promise<void>((res) => (started = res));
    const w = await world(SEED + 4, { onRun: () => started() });
    const { peers, requester, settle, advertise, net } = w;
    const r = peers[0]!;
    await r.wallet.mint(10, undefined, undefined, TEST_BITS);
    await advertise();
    const before = await r.wallet.balance();
    // The submit never settles: its process is gone once the first contributor starts running.
    void requester.submit({
      capsule: 'crypto',
      method: 'sha256',
      params: '{"v":4}',
      budget: 3,
      deadlineMs: 10_000,
    });
    await settle(killedAt.then(w.kill));
    const advance = async (ms: number) => {
      for (let t = 0; t < ms; t += 1000) {
        await new Promise((res) => setTimeout(res, 2));
        await net.sched.runUntil(net.sched.now + 1000);
      }
    };
    await advance(2_000);
    const ran = peers.filter((p) => p.ran > 0);
    expect(ran.length).toBeGreaterThanOrEqual(1);
    // Before the deadline + grace nothing is redeemable.
    for (const p of ran) expect(await p.contributor!.redeemDue()).toEqual([]);
    await advance(10_000 + PLEDGE_GRACE_MS);
    for (const p of ran) {
      const events = await p.contributor!.redeemDue();
      expect(events).toMatchObject([
        { kind: 'paid', credits: 3 * MICRO_CREDITS_PER_CREDIT, detail: REQUESTER_LEFT_REASON },
      ]);
      expect(await p.contributor!.redeemDue()).toEqual([]);
      const recent = (await p.wallet.ledger.summary()).recent;
      expect(recent[0]).toMatchObject({
        reason: REQUESTER_LEFT_REASON,
        credits: 3 * MICRO_CREDITS_PER_CREDIT,
      });
      expect((await p.wallet.balance()).balance).toBe(3 * MICRO_CREDITS_PER_CREDIT);
      // Anyone holding both chains agrees, and the requester's chain (never released) still covers it.
      const audit = verifyHistory(await p.wallet.ledger.history(), {
        owner: id(p),
        verifyProof: verifyBoundProof,
        chains: { [id(r)]: await r.wallet.ledger.history() },
      });
      expect(audit).toMatchObject({ ok: true, balance: 3 * MICRO_CREDITS_PER_CREDIT });
    }
    const after = await r.wallet.balance();
    expect(after.balance).toBe(before.balance);
    expect(after.held).toBe(2 * 3 * MICRO_CREDITS_PER_CREDIT);
  }, 120_000);

  it('says when no contributor offers the capsule, instead of waiting', async () => {
    const { peers, requester, settle, advertise } = await world(SEED + 3);
    await peers[0]!.wallet.mint(10, undefined, undefined, TEST_BITS);
    await advertise();
    await expect(
      settle(
        requester.submit({ capsule: 'image', method: 'resize', params: '{}', budget: 1, deadlineMs: 1000 }),
      ),
    ).rejects.toThrow(NoContributorError);
    await expect(
      settle(
        requester.submit({ capsule: 'image', method: 'resize', params: '{}', budget: 1, deadlineMs: 1000 }),
      ),
    ).rejects.toThrow(/no contributor offers image\.resize; 0 of the \d+ connected peer\(s\) have it/);
  }, 30_000);
});
