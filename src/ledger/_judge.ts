/**
 * The ledger's acceptance rule as one pure function, shared by `Ledger.append` (context read from
 * IndexedDB) and `verifyHistory` (context rebuilt in memory), so the live ledger and an offline
 * audit can never disagree about what counts.
 *
 * Checks run in this order, and the first failure names the code:
 *   1. issuer trusted and signature valid                      → 'bad-signature'
 *   2. record belongs to this ledger                           → 'broken-chain'
 *   3. id new; for receipts, (issuer, jobId) new               → 'replay'
 *   4. seq = head.seq + 1 and prev = head.hash                 → 'broken-chain'
 *   5. state rules (start states, allowed moves, settle keeps) → 'bad-transition'
 *   6. on → verified, a proof re-checks and covers the credits → 'bad-proof'
 * Replay comes before the chain check because a replayed record also has a stale seq, and
 * "replayed" is the truthful answer.
 */
import type { ChainHead, ReceiptView } from './ledger-db.ts';
import { toMicroCredits, type ProofVerifier, type ProofVerdict } from './proof-verifier.ts';
import {
  verifyEntrySignature,
  type LedgerEntry,
  type Receipt,
  type ReceiptState,
  type Transition,
} from './receipt.ts';
import type { RejectionCode } from './receipt-rejected-error.ts';

export interface JudgeContext {
  owner: string;
  head: ChainHead;
  trusts: (issuer: string) => boolean;
  verifyProof: ProofVerifier | undefined;
  /** An accepted record already has this id. */
  idSeen: boolean;
  /** An accepted receipt already has this (issuer, jobId); receipts only. */
  jobSeen: boolean;
  /** The receipt a transition moves, as it stands; transitions only. */
  target: ReceiptView | undefined;
}

export type Verdict = { ok: true; view: ReceiptView } | { ok: false; code: RejectionCode; detail: string };

const NEXT: Readonly<Record<ReceiptState, readonly ReceiptState[]>> = {
  estimated: ['verified', 'rejected'],
  verified: ['settled', 'rejected'],
  settled: [],
  rejected: [],
};

const no = (code: RejectionCode, detail: string): Verdict => ({ ok: false, code, detail });
const short = (hex: string) => `${hex.slice(0, 12)}…`;

export function judge(entry: LedgerEntry, ctx: JudgeContext): Verdict {
  if (!ctx.trusts(entry.issuer))
    return no('bad-signature', `issuer ${short(entry.issuer)} is not trusted by this ledger`);
  if (!verifyEntrySignature(entry))
    return no('bad-signature', `the signature does not match the record (forged or altered)`);
  if (entry.ledger !== ctx.owner)
    return no('broken-chain', `the record belongs to ledger ${short(entry.ledger)}, not ${short(ctx.owner)}`);
  if (ctx.idSeen) return no('replay', `a record with id ${entry.id} was already accepted`);
  if (entry.kind === 'receipt' && ctx.jobSeen)
    return no('replay', `job ${entry.jobId} already has a receipt from this issuer`);
  const { head } = ctx;
  if (entry.seq !== head.seq + 1 || entry.prev !== head.hash) {
    return no(
      'broken-chain',
      `expected seq ${head.seq + 1} after ${short(head.hash)}, got seq ${entry.seq} after ${short(entry.prev)}`,
    );
  }
  return entry.kind === 'receipt' ? judgeReceipt(entry) : judgeTransition(entry, ctx);
}

function judgeReceipt(r: Receipt): Verdict {
  // Credits must be earned through verification; only a zero may be born settled (nothing to check).
  const startsOk =
    r.state === 'estimated' || r.state === 'rejected' || (r.state === 'settled' && r.credits === 0);
  if (!startsOk) {
    return no(
      'bad-transition',
      `a new receipt starts as estimated (or settled with 0 credits, or rejected), not ${r.state} with ${r.credits}`,
    );
  }
  const view: ReceiptView = {
    id: r.id,
    ledger: r.ledger,
    issuer: r.issuer,
    jobId: r.jobId,
    capsule: r.capsule,
    method: r.method,
    credits: r.credits,
    cpuMs: r.cpuMs,
    bytesMoved: r.bytesMoved,
    state: r.state,
    reason: r.reason,
    issuedAt: r.issuedAt,
    updatedAt: r.issuedAt,
    seq: r.seq,
    lastSeq: r.seq,
  };
  if (r.proof !== undefined) view.proof = r.proof;
  return { ok: true, view };
}

function judgeTransition(t: Transition, ctx: JudgeContext): Verdict {
  const target = ctx.target;
  if (target === undefined || target.ledger !== t.ledger)
    return no('bad-transition', `no receipt ${t.receiptId} in this ledger`);
  if (t.issuer !== target.issuer)
    return no(
      'bad-signature',
      `receipt ${t.receiptId} can only be moved by its issuer ${short(target.issuer)}`,
    );
  if (t.from !== target.state)
    return no('bad-transition', `receipt ${t.receiptId} is ${target.state}, not ${t.from}`);
  if (!NEXT[t.from].includes(t.to)) {
    return no(
      'bad-transition',
      `${t.from} → ${t.to} is not allowed; only estimated → verified → settled, or → rejected`,
    );
  }
  if (t.to === 'settled' && t.credits !== target.credits) {
    return no(
      'bad-transition',
      `settling pays the verified ${target.credits} micro-credits, not ${t.credits}`,
    );
  }
  if (t.to === 'verified' && target.proof !== undefined && ctx.verifyProof !== undefined) {
    const verdict = safeVerify(ctx.verifyProof, target.proof);
    if (!verdict.valid)
      return no(
        'bad-proof',
        `the proof does not verify${verdict.reason === undefined ? '' : `: ${verdict.reason}`}`,
      );
    const worth = toMicroCredits(verdict.credits);
    if (t.credits > worth)
      return no('bad-proof', `${t.credits} micro-credits claimed, the proof is worth ${worth}`);
  }
  return {
    ok: true,
    view: {
      ...target,
      state: t.to,
      credits: t.credits,
      reason: t.reason,
      updatedAt: t.issuedAt,
      lastSeq: t.seq,
    },
  };
}

function safeVerify(verify: ProofVerifier, proof: NonNullable<ReceiptView['proof']>): ProofVerdict {
  try {
    return verify(proof);
  } catch (err) {
    return { valid: false, credits: 0, reason: err instanceof Error ? err.message : String(err) };
  }
}

export function ownerOnly(owner: string): (issuer: string) => boolean {
  return (issuer) => issuer === owner;
}
