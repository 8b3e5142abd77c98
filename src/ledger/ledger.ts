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
import { judge, ownerOnly, type PaymentCheck } from './_judge.ts';
import {
  addToSlot,
  SLOT_MS,
  type ChainHead,
  type Checkpoint,
  type LedgerDb,
  type LedgerDbSchema,
  type ReceiptView,
  type RefusedRecord,
  type SlotCredits,
} from './ledger-db.ts';
import type { ProofVerifier } from './proof-verifier.ts';
import {
  entryHash,
  parseEntry,
  readableId,
  ZERO_HASH,
  type LedgerEntry,
  type Pay,
  type Pledge,
  type Signer,
} from './receipt.ts';
import { ReceiptRejectedError } from './receipt-rejected-error.ts';
import { verifyHistory } from './verify-history.ts';
import { archivedHistory, compactLedger, type CompactOptions, type CompactReport } from './compaction.ts';
import { summarizeParts, type LedgerSummary, type SummaryOptions } from './summary.ts';
import { emptyTotals, type ChainTotals, type HoldView } from './totals.ts';

export interface LedgerOptions {
  /** The node id (Identity.nodeId) whose chain this is. */
  owner: string;
  /** Which issuers may sign records in this ledger; default: only the owner. */
  trusts?: (issuer: string) => boolean;
  /** Re-checks proof-of-work proofs when a receipt moves to verified (pow's `verifyBoundProof`). */
  verifyProof?: ProofVerifier;
  now?: () => number;
  /** Refused records kept for the popup, oldest dropped first; default 500. */
  maxRefused?: number;
}

export interface Totals {
  /** Settled micro-credits, less what was paid out. */
  balance: number;
  /** Estimated + verified micro-credits. */
  pending: number;
}

const DEFAULT_MAX_REFUSED = 500;
const STORES = [
  'entries',
  'receipts',
  'refused',
  'heads',
  'totals',
  'holds',
  'slots',
  'payments',
  'forks',
  'checkpoints',
] as const;

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

  get db(): LedgerDb {
    return this.#db;
  }

  get verifyProof(): ProofVerifier | undefined {
    return this.#verifyProof;
  }

  now(): number {
    return this.#now();
  }

  /**
   * Checks and stores one record (a receipt, transition, hold, pay or release; signed). Returns
   * the receipt as it now stands (for hold/pay/release: undefined); throws `ReceiptRejectedError`
   * (after storing the refusal) when the record is refused.
   */
  async append(input: unknown): Promise<ReceiptView> {
    return (await this.appendAny(input)).view as ReceiptView;
  }

  /** `append` for any kind: returns what changed. */
  async appendAny(input: unknown): Promise<{ view?: ReceiptView; hold?: HoldView; totals: ChainTotals }> {
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
    const holdId =
      entry.kind === 'pay' || entry.kind === 'pledge' || entry.kind === 'release' ? entry.holdId : undefined;
    const [checkpoint, head, totals, seenId, seenJob, target, hold] = await Promise.all([
      tx.objectStore('checkpoints').get(this.owner),
      tx.objectStore('heads').get(this.owner),
      tx.objectStore('totals').get(this.owner),
      entries.index('byId').getKey(entry.id),
      entry.kind === 'receipt' ? receipts.index('byJob').getKey([entry.issuer, entry.jobId]) : undefined,
      entry.kind === 'transition' ? receipts.get(entry.receiptId) : undefined,
      holdId === undefined ? undefined : tx.objectStore('holds').get(holdId),
    ]);
    const backing = target?.payment ?? target?.pledge;
    const payment =
      entry.kind === 'transition' && entry.to === 'verified' && backing !== undefined
        ? await paymentCheck(tx, backing)
        : undefined;
    const verdict = judge(entry, {
      owner: this.owner,
      head: head ?? emptyHead(this.owner),
      totals: totals ?? emptyTotals(this.owner),
      trusts: this.#trusts,
      verifyProof: this.#verifyProof,
      now: receivedAt,
      idSeen: seenId !== undefined,
      jobSeen: seenJob !== undefined,
      target,
      hold,
      payment,
      compacted: checkpoint,
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
    const writes: Promise<unknown>[] = [
      entries.add({ ledger: this.owner, seq: entry.seq, id: entry.id, hash, entry, acceptedAt: receivedAt }),
      tx.objectStore('heads').put({ ledger: this.owner, seq: entry.seq, hash }),
      tx.objectStore('totals').put(verdict.totals),
    ];
    if (verdict.view !== undefined) {
      writes.push(receipts.put(verdict.view), this.#moveSlot(tx.objectStore('slots'), target, verdict.view));
    }
    if (verdict.hold !== undefined) writes.push(tx.objectStore('holds').put(verdict.hold));
    await Promise.all([...writes, tx.done]);
    const out: { view?: ReceiptView; hold?: HoldView; totals: ChainTotals } = { totals: verdict.totals };
    if (verdict.view !== undefined) out.view = verdict.view;
    if (verdict.hold !== undefined) out.hold = verdict.hold;
    return out;
  }

  async #moveSlot(
    slots: IDBPObjectStore<LedgerDbSchema, typeof STORES, 'slots', 'readwrite'>,
    before: ReceiptView | undefined,
    after: ReceiptView,
  ): Promise<void> {
    const slot = Math.floor(after.issuedAt / SLOT_MS);
    const cur: SlotCredits = (await slots.get([this.owner, slot])) ?? {
      ledger: this.owner,
      slot,
      credits: 0,
      pending: 0,
    };
    const next = addToSlot(before === undefined ? cur : addToSlot(cur, before, -1), after, 1);
    await slots.put(next);
  }

  /** Where the next record must attach: seq + 1, prev = hash. */
  async head(): Promise<ChainHead> {
    return (await this.#db.get('heads', this.owner)) ?? emptyHead(this.owner);
  }

  async receipt(id: string): Promise<ReceiptView | undefined> {
    const r = await this.#db.get('receipts', id);
    return r?.ledger === this.owner ? r : undefined;
  }

  async hold(id: string): Promise<HoldView | undefined> {
    const h = await this.#db.get('holds', id);
    return h?.ledger === this.owner ? h : undefined;
  }

  /**
   * Every live receipt of this ledger as it stands, in chain order (compacted ones are in the
   * archive: history()). Reads them all: audits and tests.
   */
  async receipts(): Promise<ReceiptView[]> {
    const all = await this.#db.getAllFromIndex('receipts', 'byLedger', this.owner);
    return all.sort((a, b) => a.seq - b.seq);
  }

  /** The signed chain, first record first, archived part included: what `verifyHistory` audits. */
  async history(): Promise<LedgerEntry[]> {
    const archived = await archivedHistory(this.#db, this.owner);
    // The index orders equal keys by primary key [ledger, seq], i.e. chain order.
    const live = (await this.#db.getAllFromIndex('entries', 'byLedger', this.owner)).map((e) => e.entry);
    return archived.concat(live);
  }

  /**
   * The chain's records after `seq` (0: all of it, as history()). Reads only live rows when `seq`
   * is at or after the compaction checkpoint; else the archive too.
   */
  async historySince(seq: number): Promise<LedgerEntry[]> {
    const cp = await this.checkpoint();
    if (cp === undefined || seq < cp.seq) return (await this.history()).filter((e) => e.seq > seq);
    const rows = await this.#db.getAll(
      'entries',
      IDBKeyRange.bound([this.owner, seq + 1], [this.owner, Infinity]),
    );
    return rows.map((r) => r.entry);
  }

  /**
   * Archives the closed prefix of the chain older than `olderThanMs` (compaction.ts) under a
   * checkpoint signed by `signer` (the owner). Balances and history() are unchanged.
   */
  compact(signer: Signer, opts: Omit<CompactOptions, 'signer' | 'now'> = {}): Promise<CompactReport> {
    return compactLedger(this.#db, this.owner, { ...opts, signer, now: this.#now() });
  }

  /** The last compaction checkpoint, if any. */
  async checkpoint(): Promise<Checkpoint | undefined> {
    return this.#db.get('checkpoints', this.owner);
  }

  /** Refused records, oldest first. */
  async refused(): Promise<RefusedRecord[]> {
    return this.#db.getAllFromIndex('refused', 'byLedger', this.owner);
  }

  /** The running totals: one read, whatever the length of the chain. */
  async runningTotals(): Promise<ChainTotals> {
    return (await this.#db.get('totals', this.owner)) ?? emptyTotals(this.owner);
  }

  async totals(): Promise<Totals> {
    const t = await this.runningTotals();
    return { balance: t.balance, pending: t.pending };
  }

  /**
   * Everything the popup shows, from the running totals, at most 673 chart slots and the newest
   * `recent` receipts and refusals: a bounded number of reads however many receipts there are.
   */
  async summary(now: number = this.#now(), opts: SummaryOptions = {}): Promise<LedgerSummary> {
    const recentN = opts.recent ?? 20;
    const offsetMin = opts.utcOffsetMin ?? 0;
    const offsetMs = offsetMin * 60_000;
    const dayMs = 86_400_000;
    const firstDayStart = (Math.floor((now + offsetMs) / dayMs) - 6) * dayMs - offsetMs;
    const fromSlot = Math.floor(firstDayStart / SLOT_MS);
    const toSlot = Math.floor(now / SLOT_MS) + 1;
    const tx = this.#db.transaction(['totals', 'slots', 'receipts', 'refused'], 'readonly');
    const range = IDBKeyRange.bound([this.owner, fromSlot], [this.owner, toSlot]);
    const recent: ReceiptView[] = [];
    const refused: RefusedRecord[] = [];
    const readRecent = async () => {
      const idx = tx.objectStore('receipts').index('bySeq');
      let c = await idx.openCursor(IDBKeyRange.bound([this.owner, 0], [this.owner, Infinity]), 'prev');
      while (c && recent.length < recentN) {
        recent.push(c.value);
        c = await c.continue();
      }
    };
    const readRefused = async () => {
      const idx = tx.objectStore('refused').index('byLedger');
      let c = await idx.openCursor(this.owner, 'prev');
      while (c && refused.length < recentN) {
        refused.push(c.value);
        c = await c.continue();
      }
    };
    const [totals, slots] = await Promise.all([
      tx.objectStore('totals').get(this.owner),
      tx.objectStore('slots').getAll(range),
      readRecent(),
      readRefused(),
      tx.done,
    ]);
    return summarizeParts(
      { totals: totals ?? emptyTotals(this.owner), slots, recent, refused: refused.reverse() },
      now,
      opts,
    );
  }

  /**
   * Replaces this ledger's stored chain with `history` (a restored backup) after auditing it as a
   * peer would (verifyHistory, proofs judged at their own time, payments through `peers`). Keeps
   * the stored chain when it is already as long. Returns the totals now stored.
   */
  async restore(
    history: readonly LedgerEntry[],
    peers: Readonly<Record<string, readonly LedgerEntry[]>> = {},
  ): Promise<ChainTotals> {
    const audit = verifyHistory(history, {
      owner: this.owner,
      trusts: this.#trusts,
      verifyProof: this.#verifyProof,
      chains: peers,
    });
    if (!audit.ok)
      throw new ReceiptRejectedError(
        audit.code,
        `the backup's ledger fails an audit at record ${audit.index + 1}: ${audit.detail}`,
        audit.id,
      );
    if ((await this.head()).seq >= audit.head.seq) return this.runningTotals();
    const all = [...STORES, 'peers', 'archive'] as const;
    const tx = this.#db.transaction(all, 'readwrite');
    const mine = IDBKeyRange.bound([this.owner, 0], [this.owner, Infinity]);
    const clearIndex = async (store: 'receipts' | 'holds') => {
      let c = await tx.objectStore(store).index('byLedger').openCursor(this.owner);
      while (c) {
        await c.delete();
        c = await c.continue();
      }
    };
    await Promise.all([
      tx.objectStore('entries').delete(mine),
      tx.objectStore('archive').delete(mine),
      tx.objectStore('checkpoints').delete(this.owner),
      tx.objectStore('slots').delete(mine),
      clearIndex('receipts'),
      clearIndex('holds'),
    ]);
    const now = this.#now();
    const slots = new Map<number, SlotCredits>();
    for (const r of audit.receipts) {
      const slot = Math.floor(r.issuedAt / SLOT_MS);
      slots.set(
        slot,
        addToSlot(slots.get(slot) ?? { ledger: this.owner, slot, credits: 0, pending: 0 }, r, 1),
      );
    }
    const writes: Promise<unknown>[] = [
      ...history.map((e) =>
        tx
          .objectStore('entries')
          .put({ ledger: this.owner, seq: e.seq, id: e.id, hash: entryHash(e), entry: e, acceptedAt: now }),
      ),
      ...audit.receipts.map((r) => tx.objectStore('receipts').put(r)),
      ...audit.holds.map((h) => tx.objectStore('holds').put(h)),
      ...[...slots.values()].map((s) => tx.objectStore('slots').put(s)),
      ...Object.values(peers)
        .flat()
        .map((e) =>
          tx
            .objectStore('peers')
            .put({ ledger: e.ledger, seq: e.seq, id: e.id, hash: entryHash(e), entry: e, acceptedAt: now }),
        ),
      tx.objectStore('heads').put(audit.head),
      tx.objectStore('totals').put(audit.totals),
    ];
    await Promise.all([...writes, tx.done]);
    return audit.totals;
  }

  /** Stores a refusal decided outside `append` (payment admission), then returns the error to throw. */
  async refuse(input: unknown, err: ReceiptRejectedError): Promise<ReceiptRejectedError> {
    const tx = this.#db.transaction('refused', 'readwrite');
    await Promise.all([this.#refuse(tx.store, refusal(input, this.owner, err, this.#now())), tx.done]);
    return err;
  }

  /** Records of another node's chain kept from payment bundles (fork evidence, re-bundling). */
  async peerChain(ledger: string): Promise<LedgerEntry[]> {
    const rows = await this.#db.getAll('peers', IDBKeyRange.bound([ledger, 0], [ledger, Infinity]));
    return rows.map((r) => r.entry);
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

/** A payment-backed receipt may be verified when its payment was audited and the payer is not a proven forker. */
async function paymentCheck(
  tx: { objectStore(name: 'payments' | 'forks'): { get(key: string): Promise<unknown> } },
  pay: Pay | Pledge,
): Promise<PaymentCheck | undefined> {
  const [checked, fork] = await Promise.all([
    tx.objectStore('payments').get(entryHash(pay)),
    tx.objectStore('forks').get(pay.ledger),
  ]);
  if (fork !== undefined)
    return {
      ok: false,
      code: 'double-spend',
      detail: `payer ${pay.ledger.slice(0, 12)}… signed a fork; its payments are refused`,
    };
  return checked === undefined ? undefined : { ok: true };
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
