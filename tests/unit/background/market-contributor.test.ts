import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import { MarketContributorBridge, PAY_WAIT_MS } from '../../../src/background/market-contributor';
import { Scheduler } from '../../../src/background/scheduler';
import { Wallet } from '../../../src/background/wallet';
import { targetToCompact } from '../../../src/capsules/pow/target';
import type { JobOrder, MarketJobNotice } from '../../../src/messaging/protocol';
import { JobQueue } from '../../../src/scheduler/job-queue';
import { MarketWallet } from '../../../src/trade';
import { entryHash, type PledgeBundle } from '../../../src/ledger';

const EASY_BITS = 0x207fffff;
/** 2^12 expected hashes a proof: a requester mints its few credits in milliseconds. */
const MINT_BITS = targetToCompact(2n ** 256n / 2n ** 12n - 1n);
const REQUESTER = 'ab'.repeat(32);
let clock: number;

async function setup(slots = 2) {
  globalThis.indexedDB = new IDBFactory();
  const orders: JobOrder[] = [];
  const wallet = new Wallet(globalThis.indexedDB, () => clock);
  await wallet.ready;
  const queue = JobQueue.open();
  const scheduler = new Scheduler({
    queue,
    wallet,
    submit: async (o) => (orders.push(o), { accepted: true, duplicate: false, hostId: 'host-a' }),
    capacity: () => ({ slots, optOut: [] }),
    now: () => clock,
    powBits: EASY_BITS,
  });
  const bridge = new MarketContributorBridge({
    queue,
    receive: (b, w) => wallet.receive(b, w),
    acceptPledge: (b) => wallet.acceptPledge(b),
    redeem: (b, r, w) => wallet.redeem(b, r, w),
    pledgeResult: (p, j, r, w) => wallet.pledgeResult(p, j, r, w),
    redeemDue: () => wallet.redeemDue(),
    changed: () => {},
    now: () => clock,
  });
  return { wallet, scheduler, bridge, orders, queue: await queue };
}

const notice = (phase: MarketJobNotice['phase'], jobId = 'c0ffee'): MarketJobNotice => ({
  instanceId: 'host-a',
  jobId,
  requester: REQUESTER,
  capsule: 'crypto',
  method: 'sha256',
  budget: 50,
  deadlineMs: clock + 60_000,
  phase,
});

beforeEach(() => {
  clock = 1_700_000_000_000;
});

describe('paid mesh jobs in the background (market-contributor.ts)', () => {
  it('a running paid job holds a worker: the scheduler dispatches one proof-of-work slice less', async () => {
    const { scheduler, bridge, orders } = await setup(2);
    await bridge.onJob(notice('running'));
    await scheduler.tick();
    expect(orders).toHaveLength(2); // slots + 1 = 3, one held by the paid job
    await bridge.onJob(notice('running')); // a repeated notice counts once
    await scheduler.tick();
    expect(orders).toHaveLength(2);
    await bridge.onJob({ ...notice('returned'), status: 'ok', costUsed: 12 });
    await scheduler.tick();
    expect(orders).toHaveLength(3); // the worker is free again
    const { jobs } = await bridge.jobs();
    expect(jobs[0]).toMatchObject({ state: 'awaiting payment', credits: 0, capsule: 'crypto' });
    clock += PAY_WAIT_MS + 1;
    expect((await bridge.jobs()).jobs[0]?.reason).toMatch(/^not paid: the requester did not pay/);
  });

  it('a paid job whose host went away is failed, not requeued (its requester reissues it)', async () => {
    const { scheduler, bridge, orders } = await setup(1);
    await bridge.onJob(notice('running'));
    await scheduler.onHostHello('host-b');
    const { jobs } = await bridge.jobs();
    expect(jobs[0]).toMatchObject({ state: 'failed', credits: 0 });
    expect(jobs[0]?.reason).toContain('its host went away');
    expect(orders.every((o) => o.library === 'pow')).toBe(true);
  });

  it('refuses malformed notices with what is allowed', async () => {
    const { bridge } = await setup();
    await expect(bridge.onJob({ ...notice('running'), jobId: 'not hex' })).rejects.toThrow(/lowercase hex/);
    await expect(bridge.onJob({ ...notice('running'), phase: 'done' as never })).rejects.toThrow(
      /running, returned or failed/,
    );
  });

  it('books a requester-signed payment once; a replay and a forged amount are refused', async () => {
    const { wallet, bridge } = await setup();
    const requester = await MarketWallet.open(new IDBFactory(), { now: () => clock });
    await requester.mint(3, undefined, undefined, MINT_BITS);
    const pay = requester.requesterPayments();
    const jobId = 'beef01';
    const hold = await pay.hold(jobId, 2_000_000);
    const bundle = await pay.pay(hold.id, wallet.nodeId, 1_500_000, {
      jobId,
      capsule: 'crypto',
      method: 'sha256',
    });
    await bridge.onJob({ ...notice('running', jobId), requester: requester.nodeId });
    await bridge.onJob({ ...notice('returned', jobId), requester: requester.nodeId, status: 'ok' });
    const forged = JSON.parse(JSON.stringify(bundle)) as { pay: { amount: number } };
    forged.pay.amount = 1_900_000;
    await expect(bridge.onReceive({ bundle: forged, cpuMs: 3 })).rejects.toThrow();
    expect(await bridge.onReceive({ bundle, cpuMs: 3 })).toEqual({ credits: 1_500_000 });
    await expect(bridge.onReceive({ bundle, cpuMs: 3 })).rejects.toThrow();
    expect(wallet.balance().credits).toBe(1.5);
    const { jobs } = await bridge.jobs();
    expect(jobs[0]).toMatchObject({
      state: 'paid',
      credits: 1_500_000,
      reason: '',
      requester: requester.nodeId,
    });
  });

  it('a requester that left pays from escrow: the pledge is audited before the run and redeemed once after redeemAfter', async () => {
    const { wallet, bridge } = await setup();
    const requester = await MarketWallet.open(new IDBFactory(), { now: () => clock });
    await requester.mint(3, undefined, undefined, MINT_BITS);
    const pay = requester.requesterPayments();
    const jobId = 'beef02';
    const hold = await pay.hold(jobId, 2_000_000);
    const redeemAfter = clock + 60_000;
    const bundle = await pay.pledge!(hold.id, wallet.nodeId, 1_000_000, {
      jobId,
      capsule: 'crypto',
      method: 'sha256',
      redeemAfter,
    });
    expect(await bridge.onPledge({ bundle })).toEqual({ redeemAfter, amount: 1_000_000 });
    await bridge.onJob({ ...notice('running', jobId), requester: requester.nodeId });
    await bridge.onJob({ ...notice('returned', jobId), requester: requester.nodeId, status: 'ok' });
    const result = 'ab'.repeat(32);
    await expect(bridge.onRedeem({ bundle, result, cpuMs: 2 })).rejects.toThrow(/redeemed from/);
    clock = redeemAfter + 1;
    expect(await bridge.onRedeem({ bundle, result, cpuMs: 2 })).toEqual({ credits: 1_000_000 });
    // Asked again (the document and the background's alarm both redeem): the same answer, booked once.
    expect(await bridge.onRedeem({ bundle, result, cpuMs: 2 })).toEqual({ credits: 1_000_000 });
    expect(wallet.balance().credits).toBe(1);
    expect((await bridge.jobs()).jobs[0]).toMatchObject({ state: 'paid', credits: 1_000_000 });
  });

  async function pledged(jobId: string) {
    const env = await setup();
    const requester = await MarketWallet.open(new IDBFactory(), { now: () => clock });
    await requester.mint(3, undefined, undefined, MINT_BITS);
    const pay = requester.requesterPayments();
    const hold = await pay.hold(jobId, 2_000_000);
    const redeemAfter = clock + 60_000;
    const what = { jobId, capsule: 'crypto', method: 'sha256' };
    const bundle = await pay.pledge!(hold.id, env.wallet.nodeId, 1_000_000, { ...what, redeemAfter });
    await env.bridge.onPledge({ bundle });
    await env.bridge.onJob({ ...notice('running', jobId), requester: requester.nodeId });
    await env.bridge.onJob({
      ...notice('returned', jobId),
      requester: requester.nodeId,
      status: 'ok',
      costUsed: 7,
    });
    const result = 'cd'.repeat(32);
    expect(await env.bridge.onPledgeResult({ requester: requester.nodeId, jobId, result })).toEqual({
      kept: true,
    });
    return { ...env, requester, pay, hold, what, bundle, redeemAfter, result };
  }

  it('a pledge outlives the offscreen document and a restart: the background redeems it when due', async () => {
    const { bridge, redeemAfter, requester, bundle, result } = await pledged('beef03');
    // Not due yet: nothing happens.
    expect(await bridge.redeemDue()).toBe(0);
    // The document is gone (no market/redeem ever comes) and the service worker restarts: a new
    // wallet and bridge over the same IndexedDB.
    clock = redeemAfter + 1;
    const wallet2 = new Wallet(globalThis.indexedDB, () => clock);
    await wallet2.ready;
    const queue2 = JobQueue.open();
    const bridge2 = new MarketContributorBridge({
      queue: queue2,
      receive: (b, w) => wallet2.receive(b, w),
      acceptPledge: (b) => wallet2.acceptPledge(b),
      redeem: (b, r, w) => wallet2.redeem(b, r, w),
      pledgeResult: (p, j, r, w) => wallet2.pledgeResult(p, j, r, w),
      redeemDue: () => wallet2.redeemDue(),
      changed: () => {},
      now: () => clock,
    });
    expect(await bridge2.redeemDue()).toBe(1);
    expect(wallet2.balance().credits).toBe(1);
    expect((await bridge2.jobs()).jobs[0]).toMatchObject({
      state: 'paid',
      credits: 1_000_000,
      requester: requester.nodeId,
    });
    expect(await bridge2.redeemDue()).toBe(0);
    // A document that comes back and redeems too gets the same answer; nothing is booked twice.
    expect(await bridge2.onRedeem({ bundle, result, cpuMs: 7 })).toEqual({ credits: 1_000_000 });
    expect(wallet2.balance().credits).toBe(1);
  });

  it('a pay that names the kept pledge closes it: never redeemed as well', async () => {
    const { wallet, bridge, pay, hold, what, bundle, redeemAfter } = await pledged('beef04');
    const pledgeHash = entryHash((bundle as PledgeBundle).pledge);
    const paid = await pay.pay(hold.id, wallet.nodeId, 600_000, { ...what, pledge: pledgeHash });
    expect(await bridge.onReceive({ bundle: paid, cpuMs: 7 })).toEqual({ credits: 600_000 });
    clock = redeemAfter + 1;
    expect(await bridge.redeemDue()).toBe(0);
    expect(wallet.balance().credits).toBe(0.6);
  });

  it('refuses a malformed pledge result with what is allowed', async () => {
    const { bridge } = await setup();
    await expect(
      bridge.onPledgeResult({ requester: REQUESTER, jobId: 'c0ffee', result: 'xyz' }),
    ).rejects.toThrow(/64 lowercase hex/);
    await expect(
      bridge.onPledgeResult({ requester: 'NOPE', jobId: 'c0ffee', result: 'ab'.repeat(32) }),
    ).rejects.toThrow(/lowercase hex/);
  });
});
