import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import { Scheduler } from '../../../src/background/scheduler';
import { Wallet } from '../../../src/background/wallet';
import { searchCpu, parseSearchParams } from '../../../src/capsules/pow';
import type { JobDone, JobOrder } from '../../../src/messaging/protocol';
import { JobQueue } from '../../../src/scheduler/job-queue';
import { isOwnLocalHeader, SLICE_TARGET_MS } from '../../../src/scheduler/local-pow';
import { powSearchMaxPrice } from '../../../src/capsules/price';

const EASY_BITS = 0x207fffff; // about 2 hashes per proof: tests find real proofs instantly
let clock: number;
let orders: JobOrder[];
let slots: number;
let optOut: string[];
/** The offscreen host instance that takes orders now. */
let host: string;

async function setup() {
  // A fresh database and order list per test (a finished job triggers a tick that may still be
  // running when the next test starts, so nothing is shared across tests).
  globalThis.indexedDB = new IDBFactory();
  orders = [];
  const mine = orders;
  const wallet = new Wallet(globalThis.indexedDB, () => clock);
  await wallet.ready;
  const scheduler = new Scheduler({
    queue: JobQueue.open(),
    wallet,
    submit: async (o) => (mine.push(o), { accepted: true, duplicate: false, hostId: host }),
    capacity: () => ({ slots, optOut }),
    now: () => clock,
    powBits: EASY_BITS,
  });
  return { wallet, scheduler };
}

/** Runs an order the way the host's pow capsule does, for real. */
function run(order: JobOrder, tamper?: (out: Record<string, unknown>) => void): JobDone {
  const out = searchCpu(parseSearchParams(JSON.parse(order.params))) as unknown as Record<string, unknown>;
  tamper?.(out);
  return {
    jobId: order.jobId,
    status: 'ok',
    outputText: JSON.stringify(out),
    outputBytes: 1,
    costUsed: 5,
    error: '',
    ms: 5,
  };
}

beforeEach(() => {
  clock = 1_700_000_000_000;
  orders = [];
  slots = 2;
  optOut = [];
  host = 'host-a';
});

describe('Scheduler', () => {
  it('fills every free slot with a local proof-of-work slice bound to this node', async () => {
    const { wallet, scheduler } = await setup();
    await scheduler.tick();
    expect(orders).toHaveLength(3); // two running, one waiting in the host's queue
    const headers = orders.map((o) => (JSON.parse(o.params) as { header: string }).header);
    expect(new Set(headers).size).toBe(3);
    for (const h of headers) expect(isOwnLocalHeader(wallet.nodeId, h)).toBe(true);
    // A paid mesh job may stop a local slice on the host (JobSubmission.preemptible).
    expect(orders.every((o) => o.preemptible === true)).toBe(true);
    await scheduler.tick();
    expect(orders).toHaveLength(3); // all slots busy
  });

  it("sizes the next slice from the hashes per ms of the worker, not from costUsed (pow.search's price)", async () => {
    const { scheduler } = await setup();
    await scheduler.tick();
    expect(orders).toHaveLength(3);
    // A slice that hashed 3,000,000 nonces in 1000 ms without a proof, charged its work-based price.
    const done = run(orders[0]!, (out) =>
      Object.assign(out, { found: false, nonce: null, hash: null, hashes: 3_000_000 }),
    );
    await scheduler.onJobDone({ ...done, costUsed: powSearchMaxPrice(3_000_000), ms: 1000 });
    await scheduler.tick();
    const next = orders.at(-1)!;
    expect(orders.length).toBeGreaterThan(3);
    const count = (JSON.parse(next.params) as { count: number }).count;
    expect(count).toBe(3000 * SLICE_TARGET_MS);
    // Budgeted at the whole range's price: it ends on a proof or at its count, never for its budget.
    expect(next.budget).toBe(powSearchMaxPrice(count));
  });

  it('verifies a proof, settles its credits once, and ignores a redelivery', async () => {
    const { wallet, scheduler } = await setup();
    await scheduler.tick();
    const done = run(orders[0]!);
    await scheduler.onJobDone(done);
    const after = wallet.balance();
    expect(after.credits).toBeGreaterThan(0);
    expect(after.note).toBe('Settled credits');
    await scheduler.onJobDone(done);
    expect(wallet.balance().credits).toBe(after.credits);
    const summary = await wallet.handlers()['earnings/get']({ utcOffsetMin: 0 }, null);
    expect(summary.recent.filter((r) => r.state === 'settled')).toHaveLength(1);
  });

  it('rejects a forged result and pays nothing for it', async () => {
    const { wallet, scheduler } = await setup();
    await scheduler.tick();
    await scheduler.onJobDone(run(orders[0]!, (o) => (o.hash = '00'.repeat(32))));
    expect(wallet.balance().credits).toBe(0);
    const summary = await wallet.handlers()['earnings/get']({ utcOffsetMin: 0 }, null);
    expect(summary.recent.some((r) => r.state === 'rejected' || r.refused)).toBe(true);
  });

  it('dispatches nothing while not running, and no proof-of-work when the user opted out', async () => {
    const { scheduler } = await setup();
    slots = 0;
    await scheduler.tick();
    expect(orders).toHaveLength(0);
    slots = 2;
    optOut = ['pow'];
    await scheduler.tick();
    expect(orders).toHaveLength(0);
  });

  it('presumes a slice lost at its deadline and replaces it', async () => {
    const { scheduler } = await setup();
    slots = 1;
    await scheduler.tick();
    expect(orders).toHaveLength(2);
    clock += 6 * 60_000;
    await scheduler.tick();
    expect(orders).toHaveLength(4);
    expect(new Set(orders.map((o) => o.jobId)).size).toBe(4);
  });

  it('survives a restart: a result for a job dispatched before it is still credited', async () => {
    const first = await setup();
    await first.scheduler.tick();
    const done = run(orders[0]!);
    const wallet2 = new Wallet(globalThis.indexedDB, () => clock);
    const scheduler2 = new Scheduler({
      queue: JobQueue.open(),
      wallet: wallet2,
      submit: async (o) => (orders.push(o), { accepted: true, duplicate: false, hostId: host }),
      capacity: () => ({ slots: 0, optOut: [] }),
      now: () => clock,
      powBits: EASY_BITS,
    });
    await scheduler2.onJobDone(done);
    expect(wallet2.balance().credits).toBeGreaterThan(0);
  });

  it('requeues the jobs of a host that went away as soon as a new host says hello, and pays once', async () => {
    const { wallet, scheduler } = await setup();
    slots = 1;
    await scheduler.tick();
    const lost = orders.map((o) => o.jobId);
    expect(lost).toHaveLength(2);
    // The old document dies with both slices; a new one starts and says hello (no clock advance:
    // before this fix its slots stayed full of dead jobs until their 5-minute deadline).
    host = 'host-b';
    await scheduler.tick();
    expect(orders).toHaveLength(2);
    expect(await scheduler.onHostHello('host-b')).toBe(2);
    expect(orders.slice(2).map((o) => o.jobId)).toEqual(lost);
    // A second hello from the same host requeues nothing.
    expect(await scheduler.onHostHello('host-b')).toBe(0);
    expect(orders).toHaveLength(4);
    // The new host's result is credited; a late copy from the old one is not paid again.
    const done = run(orders[2]!);
    await scheduler.onJobDone(done);
    const credited = wallet.balance().credits;
    expect(credited).toBeGreaterThan(0);
    await scheduler.onJobDone({ ...done });
    expect(wallet.balance().credits).toBe(credited);
  });
});
