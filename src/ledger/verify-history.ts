/**
 * An offline audit of a whole ledger: replays its records from the first, with the same rule the
 * live ledger applies (_judge.ts), and returns every receipt's final state and the running totals,
 * or the first record that fails. Give it `Ledger.history()` (or records received from another
 * node) and the node id.
 *
 * Payments this chain received count only when `chains` holds the payer's chain: the payer's
 * record at the pay's seq must be the very pay embedded in the receipt (another signed record
 * there is a fork: 'double-spend', with the proof), and the payer's chain up to it must itself
 * pass this audit, recursively (so the payer's credits came from bound work or covered payments).
 * Proofs are judged at the time of the transition that verified them (`issuedAt`), so an audit
 * of an old chain accepts proofs that were recent when they were minted; a chain rewritten later
 * with back-dated records is caught once any peer holds a different record at some seq (a fork).
 */
import { judge, ownerOnly, type PaymentCheck } from './_judge.ts';
import { forkBetween, type ForkProof } from './fork.ts';
import type { AuditState, ChainHead, ReceiptView } from './ledger-db.ts';
import type { ProofVerifier } from './proof-verifier.ts';
import {
  entryHash,
  parseEntry,
  readableId,
  verifyEntrySignature,
  ZERO_HASH,
  type LedgerEntry,
  type Pay,
  type Pledge,
} from './receipt.ts';
import { ReceiptRejectedError, type RejectionCode } from './receipt-rejected-error.ts';
import { emptyTotals, type ChainTotals, type HoldView } from './totals.ts';

export interface VerifyHistoryOptions {
  /** The node id whose chain this is. */
  owner: string;
  /** Which issuers may sign; default: only the owner. */
  trusts?: (issuer: string) => boolean;
  /** Re-checks proof-of-work proofs on → verified (production: pow's `verifyBoundProof`). */
  verifyProof?: ProofVerifier;
  /** Other nodes' chains by node id, to check payments received (and theirs, recursively). */
  chains?: Readonly<Record<string, readonly unknown[]>>;
  /** Identities proven to have forked: their payments are refused. */
  banned?: (id: string) => boolean;
  /** Replay only records with seq ≤ upTo. */
  upTo?: number;
  /**
   * Incremental audits (payments.ts): a chain's state as this auditor last audited it. A chain
   * shown from (or through) that head is replayed only after it: the record after the head must
   * link to its hash (seq + 1, prev), exactly as the live ledger appends. A chain that does not
   * reach back to the head is replayed from its first record (and must start at seq 1).
   */
  audited?: (ledger: string) => AuditState | undefined;
  /** Called with each chain's state after it passed (up to the seq it was audited to). */
  onAudited?: (state: AuditState) => void;
}

export type { AuditState } from './ledger-db.ts';

export type HistoryCheck =
  | {
      ok: true;
      head: ChainHead;
      receipts: ReceiptView[];
      balance: number;
      pending: number;
      totals: ChainTotals;
      holds: HoldView[];
    }
  | {
      ok: false;
      index: number;
      id: string | undefined;
      code: RejectionCode;
      detail: string;
      /** Set when the failure is a proven double spend. */
      fork?: ForkProof;
    };

export function verifyHistory(records: readonly unknown[], opts: VerifyHistoryOptions): HistoryCheck {
  return replay(records, opts, new Map(), new Set());
}

function replay(
  records: readonly unknown[],
  opts: VerifyHistoryOptions,
  memo: Map<string, HistoryCheck>,
  visiting: Set<string>,
): HistoryCheck {
  const trusts = opts.trusts ?? ownerOnly(opts.owner);
  const ids = new Set<string>();
  const jobs = new Set<string>();
  const receipts = new Map<string, ReceiptView>();
  const holds = new Map<string, HoldView>();
  let totals = emptyTotals(opts.owner);
  let head: ChainHead = { ledger: opts.owner, seq: 0, hash: ZERO_HASH };
  let start = 0;
  const from = resumePoint(records, opts);
  if (from !== undefined) {
    const { state } = from;
    if (opts.upTo !== undefined && opts.upTo <= state.head.seq) {
      // Already audited through upTo: the shown record there is the audited one (same hash at the head).
      const at = linkedBack(from.shownAt, state.head.seq, opts.upTo);
      if (at !== undefined)
        return {
          ok: true,
          head: { ledger: opts.owner, seq: at.seq, hash: entryHash(at) },
          receipts: state.openReceipts,
          balance: state.totals.balance,
          pending: state.totals.pending,
          totals: state.totals,
          holds: state.holds,
        };
    } else {
      for (const id of state.ids) ids.add(id);
      for (const j of state.jobs) jobs.add(j);
      for (const r of state.openReceipts) receipts.set(r.id, r);
      for (const h of state.holds) holds.set(h.id, h);
      totals = state.totals;
      head = state.head;
      start = from.index;
    }
  }

  for (const [index, record] of records.entries()) {
    if (index < start) continue;
    let entry: LedgerEntry;
    try {
      entry = parseEntry(record);
    } catch (err) {
      if (!(err instanceof ReceiptRejectedError)) throw err;
      return { ok: false, index, id: readableId(record), code: err.reason, detail: err.detail };
    }
    if (opts.upTo !== undefined && entry.seq > opts.upTo) break;
    // JSON-escaped pair: neither part can contain the separator ambiguously.
    const jobKey = entry.kind === 'receipt' ? JSON.stringify([entry.issuer, entry.jobId]) : '';
    const target = entry.kind === 'transition' ? receipts.get(entry.receiptId) : undefined;
    let payment: PaymentCheck | undefined;
    let fork: ForkProof | undefined;
    const backing = target?.payment ?? target?.pledge;
    if (entry.kind === 'transition' && entry.to === 'verified' && backing !== undefined) {
      const checked = checkPayment(backing, opts, memo, visiting);
      payment = checked.check;
      fork = checked.fork;
    }
    const verdict = judge(entry, {
      owner: opts.owner,
      head,
      totals,
      trusts,
      verifyProof: opts.verifyProof,
      now: entry.issuedAt,
      idSeen: ids.has(entry.id),
      jobSeen: entry.kind === 'receipt' && jobs.has(jobKey),
      target,
      hold:
        entry.kind === 'pay' || entry.kind === 'pledge' || entry.kind === 'release'
          ? holds.get(entry.holdId)
          : undefined,
      payment,
    });
    if (!verdict.ok) {
      const failed: HistoryCheck = {
        ok: false,
        index,
        id: entry.id,
        code: verdict.code,
        detail: verdict.detail,
      };
      if (fork !== undefined) failed.fork = fork;
      return failed;
    }
    ids.add(entry.id);
    if (entry.kind === 'receipt') jobs.add(jobKey);
    if (verdict.view !== undefined) receipts.set(verdict.view.id, verdict.view);
    if (verdict.hold !== undefined) holds.set(verdict.hold.id, verdict.hold);
    totals = verdict.totals;
    head = { ledger: opts.owner, seq: entry.seq, hash: entryHash(entry) };
  }

  if (opts.onAudited !== undefined && head.seq > 0) {
    const open = [...receipts.values()].filter((r) => r.state === 'estimated' || r.state === 'verified');
    opts.onAudited({
      head,
      totals,
      holds: [...holds.values()],
      openReceipts: open,
      ids: [...ids],
      jobs: [...jobs],
    });
  }
  return {
    ok: true,
    head,
    receipts: [...receipts.values()],
    balance: totals.balance,
    pending: totals.pending,
    totals,
    holds: [...holds.values()],
  };
}

/**
 * The record shown at `seq`, when the records shown from there to `headSeq` link by hash (each
 * one's prev is the hash of the one before): then it is the record the audited head commits to.
 */
function linkedBack(
  shownAt: (seq: number) => LedgerEntry | undefined,
  headSeq: number,
  seq: number,
): LedgerEntry | undefined {
  let cur = shownAt(headSeq);
  for (let s = headSeq - 1; s >= seq && cur !== undefined; s--) {
    const before = shownAt(s);
    if (before === undefined || cur.prev !== entryHash(before)) return undefined;
    cur = before;
  }
  return cur;
}

/**
 * Where an incremental replay of `records` starts: the index of the first record after the audited
 * head, when the records shown reach it — either the head itself is shown with the audited hash,
 * or the first record shown is the one right after it (its link to the head is checked by judge).
 * A record shown at the head with another hash is left to the fork check (payments.ts), and the
 * replay starts from the beginning.
 */
function resumePoint(
  records: readonly unknown[],
  opts: VerifyHistoryOptions,
): { state: AuditState; index: number; shownAt: (seq: number) => LedgerEntry | undefined } | undefined {
  const state = opts.audited?.(opts.owner);
  if (state === undefined || state.head.ledger !== opts.owner || records.length === 0) return undefined;
  const first = (records[0] as { seq?: unknown } | null)?.seq;
  if (typeof first !== 'number') return undefined;
  const shownAt = (seq: number): LedgerEntry | undefined => {
    const raw = records[seq - first];
    if (raw === undefined) return undefined;
    try {
      const e = parseEntry(raw);
      return e.seq === seq ? e : undefined;
    } catch {
      return undefined;
    }
  };
  const { seq, hash } = state.head;
  if (first === seq + 1) return { state, index: 0, shownAt };
  if (first > seq) return undefined;
  const atHead = shownAt(seq);
  if (atHead === undefined || entryHash(atHead) !== hash) return undefined;
  return { state, index: seq - first + 1, shownAt };
}

/**
 * Whether the payer's chain (from `opts.chains`) holds this pay (or pledge, not closed by a pay in
 * the chain shown) and covers it; `fork` is set when
 * the chain shown holds a different record signed at the pay's seq. `opts.owner` is ignored.
 */
export function auditPayment(
  pay: Pay | Pledge,
  opts: Omit<VerifyHistoryOptions, 'owner' | 'upTo' | 'trusts'>,
): { check: PaymentCheck | undefined; fork?: ForkProof } {
  return checkPayment(pay, { ...opts, owner: pay.ledger }, new Map(), new Set());
}

/** A pay record signed by its ledger's owner, or undefined (only signed closings count against a pledge). */
function signedPayOf(record: unknown): Pay | undefined {
  if ((record as { kind?: unknown } | null)?.kind !== 'pay') return undefined;
  try {
    const e = parseEntry(record);
    return e.kind === 'pay' && e.issuer === e.ledger && verifyEntrySignature(e) ? e : undefined;
  } catch {
    return undefined;
  }
}

function checkPayment(
  pay: Pay | Pledge,
  opts: VerifyHistoryOptions,
  memo: Map<string, HistoryCheck>,
  visiting: Set<string>,
): { check: PaymentCheck | undefined; fork?: ForkProof } {
  const payer = pay.ledger;
  if (opts.banned?.(payer) === true)
    return {
      check: {
        ok: false,
        code: 'double-spend',
        detail: `payer ${payer.slice(0, 12)}… is a proven double spender`,
      },
    };
  const chain = opts.chains?.[payer];
  if (chain === undefined) return { check: undefined };
  const atSeq = chain.find((r) => (r as { seq?: unknown } | null)?.seq === pay.seq);
  if (atSeq === undefined)
    return {
      check: {
        ok: false,
        code: 'uncovered',
        detail: `the payer's chain shown has no record at seq ${pay.seq}`,
      },
    };
  let shown: LedgerEntry;
  try {
    shown = parseEntry(atSeq);
  } catch {
    return {
      check: { ok: false, code: 'uncovered', detail: `the payer's record at seq ${pay.seq} is malformed` },
    };
  }
  if (entryHash(shown) !== entryHash(pay)) {
    const fork = forkBetween(shown, pay);
    if (fork !== null)
      return {
        check: {
          ok: false,
          code: 'double-spend',
          detail: `payer ${payer.slice(0, 12)}… signed two records at seq ${pay.seq} (a fork)`,
        },
        fork,
      };
    return {
      check: { ok: false, code: 'uncovered', detail: `the payer's chain does not contain this payment` },
    };
  }
  if (pay.kind === 'pledge') {
    // A pledge the payer closed (settled or voided by a pay naming it) can no longer be redeemed.
    const hash = entryHash(pay);
    const closing = chain.map(signedPayOf).find((r) => r?.ledger === payer && r.pledge === hash);
    if (closing !== undefined)
      return {
        check: {
          ok: false,
          code: 'uncovered',
          detail: `the payer closed this pledge by its pay at seq ${closing.seq} (${closing.amount} micro-credits)`,
        },
      };
  }
  const key = `${payer}@${pay.seq}`;
  if (visiting.has(key))
    return {
      check: { ok: false, code: 'uncovered', detail: 'the payment depends on itself (a cycle of payments)' },
    };
  let audit = memo.get(key);
  if (audit === undefined) {
    visiting.add(key);
    audit = replay(chain, { ...opts, owner: payer, trusts: undefined, upTo: pay.seq }, memo, visiting);
    visiting.delete(key);
    memo.set(key, audit);
  }
  if (!audit.ok) {
    const failed: { check: PaymentCheck; fork?: ForkProof } = {
      check: {
        ok: false,
        code: audit.code === 'double-spend' ? 'double-spend' : 'uncovered',
        detail: `the payer's chain does not cover it: record ${audit.index + 1} refused (${audit.code}: ${audit.detail})`,
      },
    };
    if (audit.fork !== undefined) failed.fork = audit.fork;
    return failed;
  }
  if (audit.head.seq !== pay.seq)
    return {
      check: { ok: false, code: 'uncovered', detail: `the payer's chain shown stops before seq ${pay.seq}` },
    };
  return { check: { ok: true } };
}
