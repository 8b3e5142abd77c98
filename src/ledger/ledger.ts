/**
 * The node's ledger over IndexedDB: appends signed records after the checks in _judge.ts, keeps
 * each receipt's current state, and answers the popup's questions (balance, today, 7 days, recent
 * jobs, CPU and energy).
 *
 * Each append is ONE readwrite transaction that reads the chain head and the replay indexes and
 * writes the record, so concurrent appends (two contexts, or two calls) are serialised by
 * IndexedDB and can never both extend the same head. Signature checks are synchronous (noble), so
 * they run inside the transaction without letting it auto-commit.
 *
 * A refused record is stored in `refused` with its code, then `ReceiptRejectedError` is thrown:
 * the popup can show "rejected: replayed", and nothing refused ever reaches a balance. Refused
 * records never block later ones (a forged copy of a future receipt id must not make the genuine
 * one look like a replay), because replay checks look only at accepted records.
 */
import type { IDBPObjectStore, StoreNames } from 'idb';
import { judge, ownerOnly } from './_judge.ts';
import type { ChainHead, LedgerDb, LedgerDbSchema, ReceiptView, RefusedRecord } from './ledger-db.ts';
import type { ProofVerifier } from './proof-verifier.ts';
import { entryHash, parseEntry, readableId, ZERO_HASH, type LedgerEntry } from './receipt.ts';
import { ReceiptRejectedError } from './receipt-rejected-error.ts';
import { summarize, type LedgerSummary, type SummaryOptions } from './summary.ts';

export interface LedgerOptions {
  /** The node id (Identity.nodeId) whose chain this is. */
  owner: string;
  /** Which issuers may sign records in this ledger; default: only the owner. */
  trusts?: (issuer: string) => boolean;
  /** Re-checks proof-of-work proofs when a receipt moves to verified (pow's `verifyProof`). */
  verifyProof?: ProofVerifier;
  now?: () => number;
  /** Refused records kept for the popup, oldest dropped first; default 500. */
  maxRefused?: number;
}

export interface Totals {
  /** Settled micro-credits. */
  balance: number;
  /** Estimated + verified micro-credits. */
  pending: number;
}

const DEFAULT_MAX_REFUSED = 500;
const STORES = ['entries', 'receipts', 'refused', 'heads'] as const;

export class Ledger {
  readonly owner: string;
  readonly #db: LedgerDb;
  readonly #trusts: (issuer: string) => boolean;
  readonly #verifyProof: ProofVerifier | undefined;
  readonly #now: () => number;
  readonly #maxRefused: number;

  constructor(db: LedgerDb, opts: LedgerOptions) {
    if (!/^[0-9a-f]{64}$/.test(opts.owner))
      throw new RangeError('Ledger: owner must be a node id (64 lowercase hex digits)');
    this.owner = opts.owner;
    this.#db = db;
    this.#trusts = opts.trusts ?? ownerOnly(opts.owner);
    this.#verifyProof = opts.verifyProof;
    this.#now = opts.now ?? Date.now;
    this.#maxRefused = opts.maxRefused ?? DEFAULT_MAX_REFUSED;
  }

  /**
   * Checks and stores one record (a receipt or a transition, signed). Returns the receipt as it
   * now stands; throws `ReceiptRejectedError` (after storing the refusal) when the record is refused.
   */
  async append(input: unknown): Promise<ReceiptView> {
    const receivedAt = this.#now();
    let entry: LedgerEntry;
    try {
      entry = parseEntry(input);
    } catch (err) {
      if (!(err instanceof ReceiptRejectedError)) throw err;
      const tx = this.#db.transaction('refused', 'readwrite');
      await Promise.all([this.#refuse(tx.store, refusal(input, this.owner, err, receivedAt)), tx.done]);
      throw err;
    }

    const tx = this.#db.transaction(STORES, 'readwrite');
    const entries = tx.objectStore('entries');
    const receipts = tx.objectStore('receipts');
    const [head, seenId, seenJob, target] = await Promise.all([
      tx.objectStore('heads').get(this.owner),
      entries.index('byId').getKey(entry.id),
      entry.kind === 'receipt' ? receipts.index('byJob').getKey([entry.issuer, entry.jobId]) : undefined,
      entry.kind === 'transition' ? receipts.get(entry.receiptId) : undefined,
    ]);
    const verdict = judge(entry, {
      owner: this.owner,
      head: head ?? emptyHead(this.owner),
      trusts: this.#trusts,
      verifyProof: this.#verifyProof,
      idSeen: seenId !== undefined,
      jobSeen: seenJob !== undefined,
      target,
    });

    if (!verdict.ok) {
      const err = new ReceiptRejectedError(verdict.code, verdict.detail, entry.id);
      const record = refusal(entry, this.owner, err, receivedAt);
      // A refused transition has no capsule of its own; borrow its receipt's so the row reads well.
      if (target !== undefined) Object.assign(record, { capsule: target.capsule, jobId: target.jobId });
      await Promise.all([this.#refuse(tx.objectStore('refused'), record), tx.done]);
      throw err;
    }
    const hash = entryHash(entry);
    await Promise.all([
      entries.add({ ledger: this.owner, seq: entry.seq, id: entry.id, hash, entry, acceptedAt: receivedAt }),
      receipts.put(verdict.view),
      tx.objectStore('heads').put({ ledger: this.owner, seq: entry.seq, hash }),
      tx.done,
    ]);
    return verdict.view;
  }

  /** Where the next record must attach: seq + 1, prev = hash. */
  async head(): Promise<ChainHead> {
    return (await this.#db.get('heads', this.owner)) ?? emptyHead(this.owner);
  }

  async receipt(id: string): Promise<ReceiptView | undefined> {
    const r = await this.#db.get('receipts', id);
    return r?.ledger === this.owner ? r : undefined;
  }

  /** Every receipt of this ledger as it stands, in chain order. */
  async receipts(): Promise<ReceiptView[]> {
    const all = await this.#db.getAllFromIndex('receipts', 'byLedger', this.owner);
    return all.sort((a, b) => a.seq - b.seq);
  }

  /** The signed chain, first record first: what `verifyHistory` audits. */
  async history(): Promise<LedgerEntry[]> {
    // The index orders equal keys by primary key [ledger, seq], i.e. chain order.
    return (await this.#db.getAllFromIndex('entries', 'byLedger', this.owner)).map((e) => e.entry);
  }

  /** Refused records, oldest first. */
  async refused(): Promise<RefusedRecord[]> {
    return this.#db.getAllFromIndex('refused', 'byLedger', this.owner);
  }

  async totals(): Promise<Totals> {
    const { balance, pending } = summarize(await this.receipts(), [], this.#now(), { recent: 0 });
    return { balance, pending };
  }

  /** Everything the popup shows. Reads all receipts: fine for thousands, revisit with aggregates beyond. */
  async summary(now: number = this.#now(), opts: SummaryOptions = {}): Promise<LedgerSummary> {
    const [receipts, refused] = await Promise.all([this.receipts(), this.refused()]);
    return summarize(receipts, refused, now, opts);
  }

  async #refuse<S extends ArrayLike<StoreNames<LedgerDbSchema>>>(
    store: IDBPObjectStore<LedgerDbSchema, S, 'refused', 'readwrite'>,
    record: RefusedRecord,
  ): Promise<void> {
    await store.add(record);
    let excess = (await store.count()) - this.#maxRefused;
    let cursor = excess > 0 ? await store.openCursor() : null;
    while (cursor && excess > 0) {
      await cursor.delete();
      excess--;
      cursor = await cursor.continue();
    }
  }
}

function emptyHead(ledger: string): ChainHead {
  return { ledger, seq: 0, hash: ZERO_HASH };
}

/** A storable summary of whatever was refused; attacker-controlled fields are type- and length-checked. */
function refusal(
  input: unknown,
  ledger: string,
  err: ReceiptRejectedError,
  receivedAt: number,
): RefusedRecord {
  const record: RefusedRecord = { ledger, code: err.reason, detail: err.detail.slice(0, 500), receivedAt };
  if (typeof input !== 'object' || input === null) return record;
  const r = input as Record<string, unknown>;
  const id = readableId(input);
  if (id !== undefined) record.id = id;
  const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : undefined);
  const int = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
  const fields = {
    kind: str(r['kind'], 20),
    jobId: str(r['jobId'], 200),
    capsule: str(r['capsule'], 64),
    credits: int(r['credits']),
    issuedAt: int(r['issuedAt']),
  };
  // Only the fields that were readable, so absent ones stay absent rather than `undefined`.
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) Object.assign(record, { [k]: v });
  return record;
}
