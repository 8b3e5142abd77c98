/**
 * Compaction: the closed, old prefix of a chain moves into gzip'd archive segments under a signed
 * checkpoint. Balances, the popup summary and the full history (what audits and backups read) stay
 * the same; fewer live rows remain; nothing older than the checkpoint can be appended again.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  ReceiptRejectedError,
  checkpointMessage,
  packSegment,
  unpackSegment,
  verifyCheckpoint,
  verifyHistory,
  type RejectionCode,
} from '../../../src/ledger/index.ts';
import { verifyBoundProof } from '../../../src/capsules/pow/proof.ts';
import { T0, clock } from './_fixtures.ts';
import { BOUND_WORTH, economyWallet } from './_bound.ts';

const DAY = 86_400_000;

async function refused(p: Promise<unknown>): Promise<RejectionCode> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ReceiptRejectedError)) throw new Error(`expected a refusal, got ${String(err)}`);
  return err.reason;
}

/** Compaction after 5 days instead of 30 keeps the fixtures small. */
const OLDER_THAN = 5 * DAY;

/**
 * A wallet with `days` days of history: each day 2 mints (6 records), and on `payDays` an escrow
 * (hold, pay, release) paid out to `payee`.
 */
async function agedWallet(days: number, payDays: readonly number[]) {
  const c = clock(T0);
  const w = await economyWallet(41, c);
  const payee = await economyWallet(42, c);
  for (let d = 0; d < days; d++) {
    c.set(T0 + d * DAY);
    await w.mint(2);
    if (!payDays.includes(d)) continue;
    const hold = await w.payments.hold(`job-${d}`, 20_000);
    const bundle = await w.payments.pay(hold.id, payee.identity.nodeId, 15_000, {
      jobId: `job-${d}`,
      capsule: 'crypto',
      method: 'sha256',
    });
    await w.payments.release(hold.id);
    await payee.payments.receive(bundle);
  }
  return { w, payee, c };
}

// Real signatures and payer-chain audits: seconds on an idle machine, more on a busy one.
describe('ledger compaction', { timeout: 90_000 }, () => {
  it('archives the old closed prefix; totals, summary and history are unchanged', async () => {
    const { w, c } = await agedWallet(12, [0, 10]);
    const now = T0 + 12 * DAY;
    c.set(now);
    const before = {
      totals: await w.ledger.runningTotals(),
      summary: await w.ledger.summary(now),
      history: await w.ledger.history(),
      live: (await w.ledger.receipts()).length,
    };
    const report = await w.ledger.compact(w.identity, { segmentRecords: 25, olderThanMs: OLDER_THAN });
    // Days 0–6 are older than 5 days: 7 × 6 mint records + day 0's hold, pay and release.
    expect(report.records).toBe(7 * 6 + 3);
    expect(report.receipts).toBe(7 * 2);
    expect(report.segments).toBe(2);
    const cp = report.checkpoint!;
    expect(cp.seq).toBe(45);
    expect(cp.horizon).toBe(now - OLDER_THAN);
    expect(verifyCheckpoint(cp)).toBe(true);
    expect(verifyCheckpoint({ ...cp, seq: cp.seq + 1 })).toBe(false);

    expect(await w.ledger.runningTotals()).toEqual(before.totals);
    // The chart and balances are the same; the recent list holds live receipts only (with the
    // default 30-day horizon it holds the same 20).
    const after = await w.ledger.summary(now);
    expect({ ...after, recent: [] }).toEqual({ ...before.summary, recent: [] });
    expect(await w.ledger.history()).toEqual(before.history);
    expect((await w.ledger.receipts()).length).toBe(before.live - 14);
    // The archived chain still passes an offline audit end to end.
    const audit = verifyHistory(await w.ledger.history(), {
      owner: w.identity.nodeId,
      verifyProof: verifyBoundProof,
    });
    expect(audit).toMatchObject({ ok: true, balance: before.totals.balance });
    // A second run finds nothing new; a later one continues from the checkpoint.
    expect((await w.ledger.compact(w.identity, { olderThanMs: OLDER_THAN })).records).toBe(0);
    c.set(now + 2 * DAY);
    expect((await w.ledger.compact(w.identity, { olderThanMs: OLDER_THAN })).records).toBe(2 * 6);
    expect(await w.ledger.history()).toEqual(before.history);
  });

  it('stops at a receipt or hold that is still open', async () => {
    const c = clock(T0);
    const w = await economyWallet(43, c);
    await w.mint(2);
    const open = await w.payments.hold('long-job', 10_000); // never released
    c.set(T0 + DAY);
    await w.mint(2);
    c.set(T0 + 60 * DAY);
    const report = await w.ledger.compact(w.identity);
    expect(report.records).toBe(6); // the two mints before the open hold
    expect(report.checkpoint?.seq).toBe(6);
    await w.payments.release(open.id);
    // The release is new: the hold stays open for compaction until the release is old too.
    expect((await w.ledger.compact(w.identity)).records).toBe(0);
    c.set(T0 + 91 * DAY);
    expect((await w.ledger.compact(w.identity)).records).toBe(1 + 6 + 1);
  });

  it('refuses records at or before the checkpoint, and payments older than its horizon', async () => {
    const { w, payee, c } = await agedWallet(8, [0]);
    const now = T0 + 8 * DAY;
    c.set(now);
    const archivedRecord = (await w.ledger.history())[0]!;
    // A payment made on day 1, received (first time) today: before compaction it would count.
    const hold = await w.payments.hold('late', 10_000);
    c.set(T0 + DAY);
    const stale = await w.payments.pay(hold.id, payee.identity.nodeId, 5_000, {
      jobId: 'late',
      capsule: 'crypto',
      method: 'sha256',
    });
    c.set(now);
    await payee.ledger.compact(payee.identity, { olderThanMs: OLDER_THAN });
    const cp = (await payee.ledger.checkpoint())!;
    expect(cp.horizon).toBe(now - OLDER_THAN);
    expect(await refused(payee.payments.receive(stale))).toBe('replay');
    expect(await refused(w.ledger.append(archivedRecord))).toBe('replay');
    expect((await w.ledger.compact(w.identity, { olderThanMs: OLDER_THAN })).records).toBeGreaterThan(0);
    expect(await refused(w.ledger.append(archivedRecord))).toBe('replay');
    // Fresh work still goes in.
    expect(await w.mint(1)).toBe(BOUND_WORTH);
  });

  it('reads and deletes in batches: no cursor step per record', async () => {
    // A cursor costs one IndexedDB request per record (in Chromium a round trip each): 10^5
    // receipts are 3×10^5 records. Compaction reads the chain with key-range getAll and deletes
    // with key ranges and keys, so its request count does not grow with a cursor per record.
    const { w, c } = await agedWallet(12, [0, 10]);
    c.set(T0 + 12 * DAY);
    // fake-indexeddb's cursor moves (open and each continue) all go through FDBCursor._iterate;
    // spying on `continue` itself would hide it from idb's wrapper, which recognises it by identity.
    const cursor = IDBCursor.prototype as unknown as { _iterate: (...a: unknown[]) => unknown };
    const steps = vi.spyOn(cursor, '_iterate');
    try {
      const report = await w.ledger.compact(w.identity, { segmentRecords: 25, olderThanMs: OLDER_THAN });
      expect(report.records).toBe(45);
      expect(steps).not.toHaveBeenCalled();
    } finally {
      steps.mockRestore();
    }
    expect(await w.ledger.receipts()).toHaveLength(24 - 14);
  });

  it('archive segments round-trip and re-validate their records', async () => {
    const { w } = await agedWallet(2, [1]);
    const history = await w.ledger.history();
    const gz = await packSegment(history);
    expect(await unpackSegment(gz)).toEqual(history);
    const text = JSON.stringify({ ...history[0], credits: -1 });
    const bad = new Uint8Array(
      await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer(),
    );
    await expect(unpackSegment(bad)).rejects.toThrow();
    expect(checkpointMessage).toBeTypeOf('function');
  });
});
