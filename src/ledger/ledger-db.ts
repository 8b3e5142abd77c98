/**
 * The wallet's IndexedDB database: the node key and every record of its ledger, so both survive
 * a browser restart (a service worker keeps nothing in memory; see STYLE.md practice 2).
 *
 * | store    | key              | value          | why                                             |
 * |----------|------------------|----------------|-------------------------------------------------|
 * | identity | 'self'           | StoredIdentity | the Ed25519 secret key (raw, see identity.ts)   |
 * | entries  | [ledger, seq]    | StoredEntry    | the signed chain, as accepted; index byId finds  |
 * |          |                  |                | replays of any record id, byLedger lists a chain|
 * | receipts | id               | ReceiptView    | each receipt's current state (derived, indexed  |
 * |          |                  |                | byJob [issuer, jobId] unique, for replay checks)|
 * | refused  | autoIncrement    | RefusedRecord  | what was rejected and why, for the popup; capped|
 * | heads    | ledger           | ChainHead      | the last accepted seq and hash of each chain    |
 * | totals   | ledger           | ChainTotals    | running totals (totals.ts): O(1) balance reads  |
 * | holds    | id               | HoldView       | escrow holds of this node's own spending        |
 * | slots    | [ledger, slot]   | SlotCredits    | settled/pending credits per 15-min slot of      |
 * |          |                  |                | issuedAt: a 7-day chart reads ≤ 673 rows        |
 * | peers    | [ledger, seq]    | StoredEntry    | other nodes' records seen in payment bundles:   |
 * |          |                  |                | a second, different record at one seq is a fork |
 * | forks    | ledger           | StoredFork     | proven double spenders; their payments refused  |
 * | payments | payHash          | CheckedPayment | payments whose payer chain was audited & covers |
 * | checkpoints | ledger        | Checkpoint     | signed compaction point: the chain up to seq is  |
 * |          |                  |                | archived; nothing older may be appended again   |
 * | archive  | [ledger, first]  | ArchiveSegment | compacted chain records, gzip'd JSON lines      |
 * | audits   | ledger           | AuditedChain   | a payer's chain state as last audited here, so  |
 * |          |                  |                | its next payment replays only what is new       |
 * | pledges  | hash             | KeptPledge     | escrow pledges accepted here, until paid or     |
 * |          |                  |                | redeemed (index byJob [payer, jobId])           |
 * Version 2 added totals … checkpoints and receipts.bySeq; the upgrade computes totals and slots
 * from the receipts of version 1. Version 3 added archive (compaction.ts), version 4 audits
 * (incremental payer audits) and pledges (kept until redeemed), payments.ts.
 *
 * The factory is injected (`indexedDB` in the service worker, a fake-indexeddb `IDBFactory` in
 * tests). Quirk: idb's `wrap()` recognises IndexedDB objects with `instanceof IDBIndex` etc., so
 * those classes must exist as globals; in Node tests `import 'fake-indexeddb/auto'` provides them.
 */
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import type { LedgerEntry, Pay, Pledge, PowProofRecord, ReceiptState } from './receipt.ts';
import { applyReceipt, emptyTotals, type ChainTotals, type HoldView } from './totals.ts';
import type { RejectionCode } from './receipt-rejected-error.ts';

export const LEDGER_DB_NAME = 'inos-wallet';
export const LEDGER_DB_VERSION = 4;
/** Width of a chart slot: every real UTC offset is a whole number of quarter hours. */
export const SLOT_MS = 15 * 60_000;

export interface StoredIdentity {
  key: 'self';
  secretKey: Uint8Array;
  createdAt: number;
}

export interface StoredEntry {
  ledger: string;
  seq: number;
  id: string;
  hash: string;
  entry: LedgerEntry;
  /** Local clock when the ledger accepted it; not signed, for diagnostics only. */
  acceptedAt: number;
}

/** A receipt as it stands after every accepted transition; derived from the chain. */
export interface ReceiptView {
  id: string;
  ledger: string;
  issuer: string;
  jobId: string;
  capsule: string;
  method: string;
  credits: number;
  cpuMs: number;
  bytesMoved: number;
  state: ReceiptState;
  reason: string;
  proof?: PowProofRecord;
  payment?: Pay;
  /** A pledge redeemed after the requester left (reason "requester left — paid from escrow"). */
  pledge?: Pledge;
  /** BLAKE3 of the result a redeemed pledge paid for. */
  result?: string;
  issuedAt: number;
  /** `issuedAt` of the last record that changed it (so views are a pure function of the chain). */
  updatedAt: number;
  /** seq of the receipt itself and of its last transition. */
  seq: number;
  lastSeq: number;
}

/** A record the ledger refused; kept so the popup can say "rejected: replayed", never counted. */
export interface RefusedRecord {
  n?: number;
  ledger: string;
  code: RejectionCode;
  detail: string;
  receivedAt: number;
  /** Best-effort copies of the refused record's fields; absent when unreadable. */
  id?: string;
  kind?: string;
  jobId?: string;
  capsule?: string;
  credits?: number;
  issuedAt?: number;
}

export interface ChainHead {
  ledger: string;
  /** 0 with ZERO_HASH for an empty chain. */
  seq: number;
  hash: string;
}

export interface SlotCredits {
  ledger: string;
  /** floor(issuedAt / SLOT_MS). */
  slot: number;
  credits: number;
  pending: number;
}

export interface StoredFork {
  ledger: string;
  a: LedgerEntry;
  b: LedgerEntry;
  foundAt: number;
}

export interface CheckedPayment {
  payHash: string;
  payer: string;
  amount: number;
  checkedAt: number;
}

/**
 * A compaction point (compaction.ts): the chain's records up to `seq` moved into `archive`, and
 * the receipt views they settled were dropped. `horizon` is the issuedAt before which nothing new
 * may enter the ledger (its replay indexes no longer cover that time).
 */
export interface Checkpoint {
  ledger: string;
  seq: number;
  /** entryHash of the record at `seq`: the archive must end there. */
  hash: string;
  horizon: number;
  /** Records and receipts archived so far. */
  records: number;
  receipts: number;
  madeAt: number;
  /** The owner's Ed25519 signature over checkpointMessage(). */
  sig: string;
}

/** Consecutive chain records [firstSeq, lastSeq] of one ledger, as gzip'd JSON lines. */
export interface ArchiveSegment {
  ledger: string;
  firstSeq: number;
  lastSeq: number;
  count: number;
  gz: Uint8Array;
}

/**
 * Everything `judge` needs to carry on a chain after `head` without replaying what came before:
 * totals, the holds, the receipts still open (final ones accept no transition, absent or present
 * alike), and every record id and receipt (issuer, jobId) seen (replays are refused).
 */
export interface AuditState {
  head: ChainHead;
  totals: ChainTotals;
  holds: HoldView[];
  openReceipts: ReceiptView[];
  ids: string[];
  jobs: string[];
}

/** Another node's chain as this node last audited it (verify-history.ts). */
export interface AuditedChain {
  ledger: string;
  seq: number;
  state: AuditState;
  auditedAt: number;
}

/** A pledge this wallet accepted (payments.ts): redeemable with `result` from redeemAfter on. */
export interface KeptPledge {
  /** entryHash of the pledge. */
  hash: string;
  payer: string;
  jobId: string;
  pledge: Pledge;
  redeemAfter: number;
  /** BLAKE3 hex of the result returned for it; absent until the run returned one. */
  result?: string;
  cpuMs?: number;
  /** open: waits for a pay or redeemAfter; paid: a pay named it; redeemed: booked from escrow; refused: redeeming was refused (reason). */
  state: 'open' | 'paid' | 'redeemed' | 'refused';
  credits?: number;
  reason?: string;
}

export interface LedgerDbSchema extends DBSchema {
  identity: { key: string; value: StoredIdentity };
  entries: { key: [string, number]; value: StoredEntry; indexes: { byId: string; byLedger: string } };
  receipts: {
    key: string;
    value: ReceiptView;
    indexes: { byJob: [string, string]; byLedger: string; bySeq: [string, number] };
  };
  refused: { key: number; value: RefusedRecord; indexes: { byLedger: string } };
  heads: { key: string; value: ChainHead };
  totals: { key: string; value: ChainTotals };
  holds: { key: string; value: HoldView; indexes: { byLedger: string } };
  slots: { key: [string, number]; value: SlotCredits };
  peers: { key: [string, number]; value: StoredEntry };
  forks: { key: string; value: StoredFork };
  payments: { key: string; value: CheckedPayment };
  checkpoints: { key: string; value: Checkpoint };
  archive: { key: [string, number]; value: ArchiveSegment };
  audits: { key: string; value: AuditedChain };
  pledges: { key: string; value: KeptPledge; indexes: { byJob: [string, string] } };
}

export type LedgerDb = IDBPDatabase<LedgerDbSchema>;

export interface OpenLedgerDbOptions {
  indexedDB: IDBFactory;
  name?: string;
}

export async function openLedgerDb({
  indexedDB,
  name = LEDGER_DB_NAME,
}: OpenLedgerDbOptions): Promise<LedgerDb> {
  // idb's openDB() reaches for the global `indexedDB`; this is its body with the factory injected.
  const request = indexedDB.open(name, LEDGER_DB_VERSION);
  request.addEventListener('upgradeneeded', (event) => {
    const db = wrap(request.result) as unknown as LedgerDb;
    if (event.oldVersion < 1) {
      db.createObjectStore('identity', { keyPath: 'key' });
      const entries = db.createObjectStore('entries', { keyPath: ['ledger', 'seq'] });
      entries.createIndex('byId', 'id', { unique: true });
      entries.createIndex('byLedger', 'ledger');
      const receipts = db.createObjectStore('receipts', { keyPath: 'id' });
      receipts.createIndex('byJob', ['issuer', 'jobId'], { unique: true });
      receipts.createIndex('byLedger', 'ledger');
      const refused = db.createObjectStore('refused', { keyPath: 'n', autoIncrement: true });
      refused.createIndex('byLedger', 'ledger');
      db.createObjectStore('heads', { keyPath: 'ledger' });
    }
    if (event.oldVersion < 2) {
      const tx = request.transaction!;
      tx.objectStore('receipts').createIndex('bySeq', ['ledger', 'seq'], { unique: true });
      db.createObjectStore('totals', { keyPath: 'ledger' });
      db.createObjectStore('holds', { keyPath: 'id' }).createIndex('byLedger', 'ledger');
      db.createObjectStore('slots', { keyPath: ['ledger', 'slot'] });
      db.createObjectStore('peers', { keyPath: ['ledger', 'seq'] });
      db.createObjectStore('forks', { keyPath: 'ledger' });
      db.createObjectStore('payments', { keyPath: 'payHash' });
      db.createObjectStore('checkpoints', { keyPath: 'ledger' });
      if (event.oldVersion >= 1) migrateTotals(tx);
    }
    if (event.oldVersion < 3) db.createObjectStore('archive', { keyPath: ['ledger', 'firstSeq'] });
    if (event.oldVersion < 4) {
      db.createObjectStore('audits', { keyPath: 'ledger' });
      db.createObjectStore('pledges', { keyPath: 'hash' }).createIndex('byJob', ['payer', 'jobId']);
    }
  });
  const db = (await wrap(request)) as unknown as LedgerDb;
  // Another context opening a newer version must not wait on us forever: close, it reopens us.
  db.addEventListener('versionchange', () => db.close());
  return db;
}

/** Version 1 → 2: running totals and chart slots from the receipts already stored (one pass). */
function migrateTotals(tx: IDBTransaction): void {
  const totals = new Map<string, ChainTotals>();
  const slots = new Map<string, SlotCredits>();
  const cursorReq = tx.objectStore('receipts').openCursor();
  cursorReq.onsuccess = () => {
    const cursor = cursorReq.result;
    if (cursor !== null) {
      const r = cursor.value as ReceiptView;
      totals.set(r.ledger, applyReceipt(totals.get(r.ledger) ?? emptyTotals(r.ledger), undefined, r));
      const slot = Math.floor(r.issuedAt / SLOT_MS);
      const key = JSON.stringify([r.ledger, slot]);
      const s = slots.get(key) ?? { ledger: r.ledger, slot, credits: 0, pending: 0 };
      slots.set(key, addToSlot(s, r, 1));
      cursor.continue();
      return;
    }
    for (const t of totals.values()) tx.objectStore('totals').put(t);
    for (const s of slots.values()) tx.objectStore('slots').put(s);
  };
}

/** A slot with receipt `r`'s contribution added (sign 1) or taken out (sign -1). */
export function addToSlot(s: SlotCredits, r: ReceiptView, sign: 1 | -1): SlotCredits {
  if (r.state === 'settled') return { ...s, credits: s.credits + sign * r.credits };
  if (r.state === 'estimated' || r.state === 'verified')
    return { ...s, pending: s.pending + sign * r.credits };
  return s;
}
