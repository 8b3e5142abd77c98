/**
 * The ledger at scale, shared by bench-ledger.ts (Node, fake-indexeddb) and bench-ledger-chromium.ts
 * (the same code bundled into an extension page, Chromium's IndexedDB): writing N settled mints
 * straight into the stores, and timing the popup's `earnings/get` (Ledger.summary) and a mint's
 * balance read (Ledger.totals) on the running totals against the old full scan, then compaction and
 * the same reads after it. Nothing here touches Node APIs.
 *
 * The N mints (receipt + verified + settled, 3 chain records each) are written in bulk with random
 * bytes of the right size as signatures: signing and checking 3N records would take minutes and is not
 * what is measured.
 */
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import {
  Identity,
  Ledger,
  SLOT_MS,
  applyReceipt,
  emptyTotals,
  summarize,
  type LedgerDb,
  type LedgerEntry,
  type ReceiptView,
} from '../../src/ledger/index.ts';

export interface ScaleOptions {
  receipts: number;
  /** Time between mints; the last one is at `now`. */
  spacingMs: number;
  now: number;
  /** Timed repetitions of each read (the median is kept). */
  rounds: number;
}

/** Called between phases (the Chromium runner reads the storage size there). */
export type Checkpoint = (phase: 'populated' | 'compacted') => Promise<void>;

export async function populate(db: LedgerDb, owner: string, o: ScaleOptions): Promise<void> {
  const sig = () => bytesToHex(randomBytes(64));
  let totals = emptyTotals(owner);
  const slots = new Map<number, { ledger: string; slot: number; credits: number; pending: number }>();
  const BATCH = 5_000;
  const N = o.receipts;
  let seq = 0;
  let prev = '0'.repeat(64);
  for (let start = 0; start < N; start += BATCH) {
    const tx = db.transaction(['entries', 'receipts'], 'readwrite');
    const writes: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(N, start + BATCH); i++) {
      const issuedAt = o.now - (N - i) * o.spacingMs;
      const id = bytesToHex(randomBytes(16));
      const header = bytesToHex(randomBytes(80));
      const base = { v: 1 as const, ledger: owner, issuer: owner, issuedAt };
      const receipt: LedgerEntry = {
        ...base,
        kind: 'receipt',
        id,
        seq: ++seq,
        prev,
        jobId: `pow:${bytesToHex(randomBytes(32))}`,
        capsule: 'pow',
        method: 'search',
        credits: 2_048_031_250,
        cpuMs: 2_900,
        bytesMoved: 0,
        state: 'estimated',
        reason: '',
        proof: { header, bits: 0x1e00ffff, nonce: 12345, hash: bytesToHex(randomBytes(32)) },
        sig: sig(),
      };
      prev = bytesToHex(randomBytes(32));
      const t1: LedgerEntry = {
        ...base,
        kind: 'transition',
        id: bytesToHex(randomBytes(16)),
        seq: ++seq,
        prev,
        receiptId: id,
        from: 'estimated',
        to: 'verified',
        credits: 2_048_031_250,
        reason: '',
        sig: sig(),
      };
      prev = bytesToHex(randomBytes(32));
      const t2: LedgerEntry = {
        ...t1,
        id: bytesToHex(randomBytes(16)),
        seq: ++seq,
        prev,
        from: 'verified',
        to: 'settled',
        sig: sig(),
      };
      prev = bytesToHex(randomBytes(32));
      for (const e of [receipt, t1, t2])
        writes.push(
          tx
            .objectStore('entries')
            .put({ ledger: owner, seq: e.seq, id: e.id, hash: prev, entry: e, acceptedAt: issuedAt }),
        );
      const view: ReceiptView = {
        id,
        ledger: owner,
        issuer: owner,
        jobId: receipt.jobId,
        capsule: 'pow',
        method: 'search',
        credits: 2_048_031_250,
        cpuMs: 2_900,
        bytesMoved: 0,
        state: 'settled',
        reason: '',
        proof: receipt.proof!,
        issuedAt,
        updatedAt: issuedAt,
        seq: receipt.seq,
        lastSeq: t2.seq,
      };
      writes.push(tx.objectStore('receipts').put(view));
      totals = applyReceipt(totals, undefined, view);
      const slot = Math.floor(issuedAt / SLOT_MS);
      const s = slots.get(slot) ?? { ledger: owner, slot, credits: 0, pending: 0 };
      s.credits += view.credits;
      slots.set(slot, s);
    }
    await Promise.all([...writes, tx.done]);
  }
  const tx = db.transaction(['totals', 'slots', 'heads'], 'readwrite');
  await Promise.all([
    tx.objectStore('totals').put(totals),
    ...[...slots.values()].map((s) => tx.objectStore('slots').put(s)),
    tx.objectStore('heads').put({ ledger: owner, seq, hash: prev }),
    tx.done,
  ]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(rounds: number, fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

export interface ScaleResult {
  receipts: number;
  chainRecords: number;
  populateMs: number;
  earningsGetMs: { runningTotals: number; fullScan: number; speedup: number };
  balanceReadMs: { runningTotals: number; fullScan: number; speedup: number };
  compaction: {
    horizonDays: number;
    ms: number;
    recordsArchived: number;
    receiptsArchived: number;
    segments: number;
    earningsGetMs: number;
    balanceReadMs: number;
    fullHistoryReadMs: number;
  };
}

/**
 * Populates `db` with `o.receipts` settled mints of a fresh identity, checks that the running totals
 * equal the full scan, times both, compacts (30-day horizon) and times the reads again; the full
 * history must still hold every record. `checkpoint` runs after populating and after compacting.
 */
export async function ledgerAtScale(
  db: LedgerDb,
  o: ScaleOptions,
  checkpoint: Checkpoint = async () => undefined,
): Promise<ScaleResult> {
  const identity = Identity.generate(o.now);
  const ledger = new Ledger(db, { owner: identity.nodeId, now: () => o.now });
  const t0 = performance.now();
  await populate(db, identity.nodeId, o);
  const populateMs = performance.now() - t0;
  await checkpoint('populated');
  const opts = { utcOffsetMin: 60 };
  // The old path (before running totals): every receipt and every refusal, every call.
  const oldSummary = async () => {
    const [receipts, refused] = await Promise.all([ledger.receipts(), ledger.refused()]);
    return summarize(receipts, refused, o.now, opts);
  };
  const oldTotals = async () => summarize(await ledger.receipts(), [], o.now, { recent: 0 });

  const a = await ledger.summary(o.now, opts);
  const b = await oldSummary();
  if (a.balance !== b.balance || JSON.stringify(a.last7Days) !== JSON.stringify(b.last7Days))
    throw new Error('the running totals disagree with the full scan');
  const summaryNew = await time(o.rounds, () => ledger.summary(o.now, opts));
  const summaryOld = await time(o.rounds, oldSummary);
  const totalsNew = await time(o.rounds, () => ledger.totals());
  const totalsOld = await time(o.rounds, oldTotals);

  const tc = performance.now();
  const compacted = await ledger.compact(identity);
  const compactMs = performance.now() - tc;
  const c = await ledger.summary(o.now, opts);
  if (c.balance !== a.balance || JSON.stringify(c.last7Days) !== JSON.stringify(a.last7Days))
    throw new Error('compaction changed the balance or the chart');
  const summaryCompacted = await time(o.rounds, () => ledger.summary(o.now, opts));
  const totalsCompacted = await time(o.rounds, () => ledger.totals());
  await checkpoint('compacted');
  const th = performance.now();
  const fullHistory = await ledger.history();
  const historyMs = performance.now() - th;
  if (fullHistory.length !== 3 * o.receipts) throw new Error(`history lost records: ${fullHistory.length}`);
  return {
    receipts: o.receipts,
    chainRecords: 3 * o.receipts,
    populateMs: Math.round(populateMs),
    earningsGetMs: { runningTotals: summaryNew, fullScan: summaryOld, speedup: summaryOld / summaryNew },
    balanceReadMs: { runningTotals: totalsNew, fullScan: totalsOld, speedup: totalsOld / totalsNew },
    compaction: {
      horizonDays: 30,
      ms: Math.round(compactMs),
      recordsArchived: compacted.records,
      receiptsArchived: compacted.receipts,
      segments: compacted.segments,
      earningsGetMs: summaryCompacted,
      balanceReadMs: totalsCompacted,
      fullHistoryReadMs: Math.round(historyMs),
    },
  };
}
