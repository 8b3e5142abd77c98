/**
 * The ledger at 10^5 receipts: storage bytes and the popup's `earnings/get` (Ledger.summary) and a
 * mint's balance read (Ledger.totals), new running-totals path vs the old full scan, same run; then
 * compaction (compaction.ts, default 30-day horizon): its time, the bytes left, and the same reads.
 * Run: npx tsx bench/ledger/bench-ledger.ts [--receipts N] [--spacing-min M] [--audit-records K] [--out <file>]
 *      → table + bench/results/ledger.json
 * First, payer audits (payments.ts): a payer whose chain has K (default 10^4) real signed records
 * pays a payee twice; the first bundle carries the whole chain (what every payment carried before
 * incremental audits), the second only the records after the payee's audited head. Bundle bytes
 * (JSON) and the payee's `receive` time, same run.
 * The CLI wallet's bytes written per payment at 10^3 payments, journal vs the v1 whole rewrite
 * (wallet-journal.ts; `--only wallet` updates `walletJournal` alone).
 * The committed result is the default, 10^5 receipts 3 minutes apart. (Before compaction read and
 * deleted in batches it did not finish in 30 CPU minutes at 10^5: a cursor step per record is a tree
 * search in fake-indexeddb.) Chromium's IndexedDB is not measured.
 *
 * IndexedDB is fake-indexeddb in Node (in-memory), not Chromium's LevelDB: read times show the
 * algorithmic difference (bounded reads vs reading every receipt), not Chromium's absolute speed.
 * Bytes are the V8 structured-clone size of every stored value (v8.serialize: the format Chromium's
 * IndexedDB stores, before its own compression), summed per store.
 * The 10^5 mints (receipt + verified + settled, 3 chain records each) are written straight into the
 * stores in bulk, with random bytes of the right size as signatures: signing and checking 3×10^5
 * records would take minutes and is not what is measured; `append` itself is timed on a sample.
 */
import { zeroReceiptChain } from '../../tests/unit/ledger/_zero-chain.ts';
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serialize } from 'node:v8';
import { randomBytes } from '@noble/hashes/utils.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { parseSearchParams } from '../../src/capsules/pow/job.ts';
import {
  boundHeader,
  epochOf,
  proofCredits,
  proofFromSearch,
  verifyBoundProof,
} from '../../src/capsules/pow/proof.ts';
import { searchCpu } from '../../src/capsules/pow/search-cpu.ts';
import { ledgerAtScale } from './scale.ts';
import { walletJournalBench } from './wallet-journal.ts';
import {
  Identity,
  Ledger,
  Minter,
  Payments,
  ReceiptIssuer,
  SCRYPT_PARAMS,
  openLedgerDb,
  type LedgerDb,
} from '../../src/ledger/index.ts';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const N = Number(arg('--receipts') ?? 100_000);
const here = dirname(fileURLToPath(import.meta.url));
const OUT = arg('--out') ?? join(here, '../results/ledger.json');
const ROUNDS = 3;
/**
 * Minutes between mints (`--spacing-min`, default 3): 10^5 mints 3 minutes apart span 208 days, so
 * most of the chain is past the 30-day compaction horizon.
 */
const SPACING_MS = Number(arg('--spacing-min') ?? 3) * 60_000;
const NOW = Date.UTC(2026, 10, 27, 12);
const AUDIT_RECORDS = Number(arg('--audit-records') ?? 10_000);

/**
 * A payer with `k` real signed records (k − 5 zero receipts, one bound mint, a hold, two pays):
 * bundle bytes and the payee's receive time for a whole-chain bundle and an incremental one.
 */
async function auditBench(k: number) {
  const payer = Identity.generate(NOW);
  const payee = Identity.generate(NOW);
  const now = () => NOW;
  const open = async (who: Identity, name: string) => {
    const db = await openLedgerDb({ indexedDB: new IDBFactory(), name });
    const ledger = new Ledger(db, { owner: who.nodeId, now, verifyProof: verifyBoundProof });
    const issuer = new ReceiptIssuer(ledger, who, { now });
    return { ledger, issuer, payments: new Payments(ledger, issuer) };
  };
  const a = await open(payer, 'audit-payer');
  const b = await open(payee, 'audit-payee');
  // k − 5 zero receipts signed in memory and stored through restore (one audited transaction).
  const records = zeroReceiptChain(payer, k - 5, (seq) => NOW - (k - seq) * 1000);
  await a.ledger.restore(records);
  const bits = 0x2000ffff;
  const header = boundHeader(payer.nodeId, epochOf(NOW), sha256(utf8ToBytes('bench-salt')), bits);
  const job = parseSearchParams({ header, nonceStart: 0, count: 1 << 20, bits });
  const p = proofFromSearch(job, searchCpu(job));
  const minter = new Minter(a.issuer, { verify: verifyBoundProof, estimate: (x) => proofCredits(x.bits) });
  const worth = (await minter.mint({ header: p.header, bits: p.bits, nonce: p.nonce, hash: p.hash })).credits;
  const hold = await a.payments.hold('bench-job', worth);
  const what = { jobId: 'bench-job', capsule: 'crypto', method: 'hash' };
  const first = await a.payments.pay(hold.id, payee.nodeId, 1, what);
  const t1 = performance.now();
  await b.payments.receive(first);
  const fullMs = performance.now() - t1;
  const since = await b.payments.auditedHead(payer.nodeId);
  const second = await a.payments.pay(hold.id, payee.nodeId, 1, { ...what, jobId: 'bench-job-2' }, { since });
  const t2 = performance.now();
  await b.payments.receive(second);
  const incMs = performance.now() - t2;
  const bytes = (x: unknown) => Buffer.byteLength(JSON.stringify(x));
  return {
    payerRecords: first.pay.seq,
    wholeChain: { records: first.chains[payer.nodeId]!.length, bundleBytes: bytes(first), receiveMs: fullMs },
    incremental: {
      since,
      records: second.chains[payer.nodeId]!.length,
      bundleBytes: bytes(second),
      receiveMs: incMs,
    },
    bytesRatio: bytes(second) / bytes(first),
    speedup: fullMs / incMs,
  };
}

async function storeBytes(db: LedgerDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of [
    'entries',
    'receipts',
    'totals',
    'slots',
    'heads',
    'refused',
    'archive',
    'checkpoints',
  ] as const) {
    // Batches of getAll/getAllKeys (a cursor step per row takes minutes at 3×10^5 rows here).
    let bytes = 0;
    let after: IDBValidKey | undefined;
    for (;;) {
      const range = after === undefined ? undefined : IDBKeyRange.lowerBound(after, true);
      const [values, keys] = await Promise.all([
        db.getAll(name, range, 5_000),
        db.getAllKeys(name, range, 5_000),
      ]);
      for (const [i, v] of values.entries()) bytes += serialize(v).length + serialize(keys[i]).length;
      if (keys.length < 5_000) break;
      after = keys[keys.length - 1] as IDBValidKey;
    }
    out[name] = bytes;
  }
  return out;
}

async function main(): Promise<void> {
  if (arg('--only') === 'wallet') {
    const walletJournal = await walletJournalBench(Number(arg('--payments') ?? 1000));
    console.table({ 'CLI wallet, per payment': walletJournal });
    const prev: Record<string, unknown> = existsSync(OUT)
      ? (JSON.parse(readFileSync(OUT, 'utf8')) as Record<string, unknown>)
      : {};
    const walletMachine = { date: new Date().toISOString(), cpus: cpus().length, loadavg: loadavg() };
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, `${JSON.stringify({ ...prev, walletJournal, walletMachine }, null, 2)}\n`);
    console.log(`updated walletJournal in ${OUT}`);
    return;
  }
  const audit = await auditBench(AUDIT_RECORDS);
  console.log(
    `payer audit at ${audit.payerRecords} records: whole chain ${audit.wholeChain.bundleBytes} B, ` +
      `receive ${audit.wholeChain.receiveMs.toFixed(0)} ms; incremental (${audit.incremental.records} records) ` +
      `${audit.incremental.bundleBytes} B, receive ${audit.incremental.receiveMs.toFixed(1)} ms`,
  );
  const identity = Identity.generate(NOW);
  const db = await openLedgerDb({ indexedDB: new IDBFactory(), name: 'bench' });
  let bytes: Record<string, number> = {};
  let bytesAfter: Record<string, number> = {};
  const scale = await ledgerAtScale(
    db,
    { receipts: N, spacingMs: SPACING_MS, now: NOW, rounds: ROUNDS },
    async (phase) => {
      if (phase === 'populated') bytes = await storeBytes(db);
      else bytesAfter = await storeBytes(db);
    },
  );
  const summaryNew = scale.earningsGetMs.runningTotals;
  const summaryOld = scale.earningsGetMs.fullScan;
  const totalsNew = scale.balanceReadMs.runningTotals;
  const totalsOld = scale.balanceReadMs.fullScan;
  const compacted = { records: scale.compaction.recordsArchived };
  const compactMs = scale.compaction.ms;
  const summaryCompacted = scale.compaction.earningsGetMs;
  const totalsCompacted = scale.compaction.balanceReadMs;
  const historyMs = scale.compaction.fullHistoryReadMs;

  // append on a real, signed sample (a fresh ledger: what a mint costs in records and checks).
  const db2 = await openLedgerDb({ indexedDB: new IDBFactory(), name: 'bench-append' });
  const l2 = new Ledger(db2, { owner: identity.nodeId, now: () => NOW });
  const issuer = new ReceiptIssuer(l2, identity, { now: () => NOW });
  const SAMPLE = 200;
  const ta = performance.now();
  for (let i = 0; i < SAMPLE; i++) await issuer.recordZero('bench');
  const appendMs = (performance.now() - ta) / SAMPLE;

  const tk = performance.now();
  scrypt('correct horse battery staple', randomBytes(16), { ...SCRYPT_PARAMS, dkLen: 32 });
  const kdfMs = performance.now() - tk;

  const total = Object.values(bytes).reduce((x, y) => x + y, 0);
  const totalAfter = Object.values(bytesAfter).reduce((x, y) => x + y, 0);
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
    indexedDB: 'fake-indexeddb 6 (in-memory, Node); bytes = v8.serialize size of stored values and keys',
    payerAudit: audit,
    receipts: N,
    spacingMin: SPACING_MS / 60_000,
    chainRecords: 3 * N,
    populateMs: scale.populateMs,
    bytes: { ...bytes, total, perReceipt: Math.round(total / N) },
    earningsGetMs: scale.earningsGetMs,
    balanceReadMs: scale.balanceReadMs,
    appendMsPerRecord: appendMs,
    compaction: {
      ...scale.compaction,
      bytesAfter: { ...bytesAfter, total: totalAfter, perReceipt: Math.round(totalAfter / N) },
      bytesRatio: totalAfter / total,
    },
    scrypt: {
      ...SCRYPT_PARAMS,
      memoryMiB: (128 * SCRYPT_PARAMS.N * SCRYPT_PARAMS.r) / 2 ** 20,
      ms: Math.round(kdfMs),
    },
  };
  console.table({
    'earnings/get (Ledger.summary)': {
      'running totals ms': summaryNew.toFixed(2),
      'full scan ms': summaryOld.toFixed(1),
      speedup: `${(summaryOld / summaryNew).toFixed(0)}×`,
    },
    'balance read (mint)': {
      'running totals ms': totalsNew.toFixed(2),
      'full scan ms': totalsOld.toFixed(1),
      speedup: `${(totalsOld / totalsNew).toFixed(0)}×`,
    },
  });
  console.log(`bytes at ${N} receipts (${3 * N} chain records): ${JSON.stringify(result.bytes)}`);
  console.log(
    `compaction: ${compacted.records} records archived in ${Math.round(compactMs)} ms; bytes ${total} → ${totalAfter} ` +
      `(${((100 * totalAfter) / total).toFixed(1)}%); earnings/get ${summaryCompacted.toFixed(2)} ms, ` +
      `balance ${totalsCompacted.toFixed(2)} ms; full history read ${Math.round(historyMs)} ms`,
  );
  console.log(
    `append (sign + check + store): ${appendMs.toFixed(2)} ms/record; scrypt N=2^17 r=8 p=1: ${Math.round(kdfMs)} ms`,
  );
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${OUT}`);
}

await main();
