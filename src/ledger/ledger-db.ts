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
 *
 * The factory is injected (`indexedDB` in the service worker, a fake-indexeddb `IDBFactory` in
 * tests). Quirk: idb's `wrap()` recognises IndexedDB objects with `instanceof IDBIndex` etc., so
 * those classes must exist as globals; in Node tests `import 'fake-indexeddb/auto'` provides them.
 */
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import type { LedgerEntry, PowProofRecord, ReceiptState } from './receipt.ts';
import type { RejectionCode } from './receipt-rejected-error.ts';

export const LEDGER_DB_NAME = 'inos-wallet';
export const LEDGER_DB_VERSION = 1;

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

export interface LedgerDbSchema extends DBSchema {
  identity: { key: string; value: StoredIdentity };
  entries: { key: [string, number]; value: StoredEntry; indexes: { byId: string; byLedger: string } };
  receipts: { key: string; value: ReceiptView; indexes: { byJob: [string, string]; byLedger: string } };
  refused: { key: number; value: RefusedRecord; indexes: { byLedger: string } };
  heads: { key: string; value: ChainHead };
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
  });
  const db = (await wrap(request)) as unknown as LedgerDb;
  // Another context opening a newer version must not wait on us forever: close, it reopens us.
  db.addEventListener('versionchange', () => db.close());
  return db;
}
