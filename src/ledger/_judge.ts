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
 *   5. per kind:
 *      receipt:    start states; a proof's jobId is proofJobId, a payment's is paymentJobId, the
 *                  payment is signed by its payer and paid to this ledger  → 'bad-proof' | 'unbacked' | 'bad-signature'
 *      transition: allowed moves, settle keeps                 → 'bad-transition'
 *                  → verified with credits needs a backing: a proof valid for this owner now
 *                  ('bad-proof' | 'unbound-proof' | 'stale-proof'), or a payment the payer's chain
 *                  covers ('uncovered' | 'double-spend'); neither → 'unbacked'
 *      hold/pay/pledge/release: only the owner spends; holds fit the available balance, pays and
 *                  pledges fit their hold; a pay with `pledge` closes that open pledge to its payee
 *                  (a redeemed pledge: a receipt with `pledge`, after redeemAfter, jobId pledgeJobId)
 *                                                        → 'bad-signature' | 'uncovered' | 'bad-transition'
 * Replay comes before the chain check because a replayed record also has a stale seq, and
 * "replayed" is the truthful answer.
 */
import type { ChainHead, ReceiptView } from './ledger-db.ts';
import { proofJobId, toMicroCredits, type ProofVerifier, type ProofVerdict } from './proof-verifier.ts';
import {
  entryHash,
  paymentJobId,
  pledgeJobId,
  verifyEntrySignature,
  type Hold,
  type Pledge,
  type LedgerEntry,
  type Pay,
  type Receipt,
  type ReceiptState,
  type Release,
  type Transition,
} from './receipt.ts';
import type { RejectionCode } from './receipt-rejected-error.ts';
import {
  applyHold,
  applyPay,
  applyReceipt,
  applyRelease,
  type ChainTotals,
  type HoldView,
} from './totals.ts';

/** Whether a payment's payer chain was checked and covers it (see payments.ts). */
export type PaymentCheck =
  { ok: true } | { ok: false; code: 'uncovered' | 'double-spend' | 'bad-signature'; detail: string };

export interface JudgeContext {
  owner: string;
  head: ChainHead;
  totals: ChainTotals;
  trusts: (issuer: string) => boolean;
  verifyProof: ProofVerifier | undefined;
  /** The clock proofs are judged at (epoch window): the ledger's now, or the record's time in an audit. */
  now: number;
  /** An accepted record already has this id. */
  idSeen: boolean;
  /** An accepted receipt already has this (issuer, jobId); receipts only. */
  jobSeen: boolean;
  /** The receipt a transition moves, as it stands; transitions only. */
  target: ReceiptView | undefined;
  /** The hold a pay or release refers to; pay/release only. */
  hold: HoldView | undefined;
  /** For a → verified of a payment-backed receipt: the result of checking the payer's chain. */
  payment: PaymentCheck | undefined;
  /** The ledger's compaction checkpoint (compaction.ts): replay indexes end there. */
  compacted?: { seq: number; horizon: number } | undefined;
}

export type Verdict =
  | { ok: true; view?: ReceiptView; hold?: HoldView; totals: ChainTotals }
  | { ok: false; code: RejectionCode; detail: string };

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
  if (ctx.compacted !== undefined) {
    const { seq, horizon } = ctx.compacted;
    if (entry.seq <= seq)
      return no('replay', `seq ${entry.seq} is in the compacted part of the chain (records 1–${seq})`);
    const backing = entry.kind === 'receipt' ? (entry.payment ?? entry.pledge) : undefined;
    const issued = backing !== undefined ? backing.issuedAt : entry.issuedAt;
    if (issued < horizon)
      return no(
        'replay',
        `issued ${new Date(issued).toISOString()}, before the ledger's compaction horizon ` +
          `${new Date(horizon).toISOString()}: too old to be checked for replay`,
      );
  }
  const { head } = ctx;
  if (entry.seq !== head.seq + 1 || entry.prev !== head.hash) {
    return no(
      'broken-chain',
      `expected seq ${head.seq + 1} after ${short(head.hash)}, got seq ${entry.seq} after ${short(entry.prev)}`,
    );
  }
  switch (entry.kind) {
    case 'receipt':
      return judgeReceipt(entry, ctx);
    case 'transition':
      return judgeTransition(entry, ctx);
    case 'hold':
      return judgeHold(entry, ctx);
    case 'pay':
      return judgePay(entry, ctx);
    case 'pledge':
      return judgePledge(entry, ctx);
    case 'release':
      return judgeRelease(entry, ctx);
  }
}

function judgeReceipt(r: Receipt, ctx: JudgeContext): Verdict {
  // Credits must be earned through verification; only a zero may be born settled (nothing to check).
  const startsOk =
    r.state === 'estimated' || r.state === 'rejected' || (r.state === 'settled' && r.credits === 0);
  if (!startsOk) {
    return no(
      'bad-transition',
      `a new receipt starts as estimated (or settled with 0 credits, or rejected), not ${r.state} with ${r.credits}`,
    );
  }
  if (r.proof !== undefined && r.jobId !== proofJobId(r.proof))
    return no('bad-proof', `a proof's receipt has jobId ${proofJobId(r.proof)}, so one proof pays once`);
  if (r.payment !== undefined) {
    const bad = checkBacking(r, r.payment, 'payment', paymentJobId(r.payment), ctx);
    if (bad !== null) return bad;
  }
  if (r.pledge !== undefined) {
    const p = r.pledge;
    const bad = checkBacking(r, p, 'pledge', pledgeJobId(entryHash(p)), ctx);
    if (bad !== null) return bad;
    if (r.issuedAt < p.redeemAfter)
      return no(
        'unbacked',
        `the pledge can be redeemed from ${new Date(p.redeemAfter).toISOString()}, not at ${new Date(r.issuedAt).toISOString()}`,
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
  if (r.payment !== undefined) view.payment = r.payment;
  if (r.pledge !== undefined) view.pledge = r.pledge;
  if (r.result !== undefined) view.result = r.result;
  return { ok: true, view, totals: applyReceipt(ctx.totals, undefined, view) };
}

/** A receipt backed by a payer's pay or pledge: signed by the payer, to this wallet, one receipt each, ≤ its amount. */
function checkBacking(
  r: Receipt,
  b: Pay | Pledge,
  what: 'payment' | 'pledge',
  jobId: string,
  ctx: JudgeContext,
): Verdict | null {
  if (b.issuer !== b.ledger || !verifyEntrySignature(b))
    return no('bad-signature', `the ${what} is not signed by its payer ${short(b.ledger)} (forged)`);
  if (b.payee !== ctx.owner) return no('unbacked', `the ${what} is to ${short(b.payee)}, not to this wallet`);
  if (r.jobId !== jobId) {
    const whose = what === 'payment' ? "a payment's receipt" : "a redeemed pledge's receipt";
    return no('bad-proof', `${whose} has jobId ${jobId}, so one ${what} pays once`);
  }
  if (r.credits > b.amount)
    return no('unbacked', `${r.credits} micro-credits claimed, the ${what} is ${b.amount}`);
  return null;
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
  if (t.to === 'verified' && t.credits > 0) {
    const backed = judgeBacking(t, target, ctx);
    if (backed !== null) return backed;
  }
  const view: ReceiptView = {
    ...target,
    state: t.to,
    credits: t.credits,
    reason: t.reason,
    updatedAt: t.issuedAt,
    lastSeq: t.seq,
  };
  return { ok: true, view, totals: applyReceipt(ctx.totals, target, view) };
}

/** Null when the credits are backed; else the refusal. */
function judgeBacking(t: Transition, target: ReceiptView, ctx: JudgeContext): Verdict | null {
  if (target.proof !== undefined) {
    if (ctx.verifyProof === undefined)
      return no('bad-proof', 'this ledger has no proof checker, so it cannot count proof-of-work');
    const verdict = safeVerify(ctx.verifyProof, target.proof, { minter: ctx.owner, now: ctx.now });
    if (!verdict.valid) {
      const code =
        verdict.code === 'unbound' ? 'unbound-proof' : verdict.code === 'stale' ? 'stale-proof' : 'bad-proof';
      const why = verdict.reason === undefined ? '' : `: ${verdict.reason}`;
      return no(code, `the proof does not count for this wallet${why}`);
    }
    const worth = toMicroCredits(verdict.credits);
    if (t.credits > worth)
      return no('bad-proof', `${t.credits} micro-credits claimed, the proof is worth ${worth}`);
    return null;
  }
  const backing = target.payment ?? target.pledge;
  if (backing !== undefined) {
    const check = ctx.payment;
    if (check === undefined)
      return no('uncovered', "the payer's chain was not checked, so the payment cannot count");
    if (!check.ok) return no(check.code, check.detail);
    if (t.credits > backing.amount)
      return no('unbacked', `${t.credits} micro-credits claimed, the payment is ${backing.amount}`);
    return null;
  }
  return no(
    'unbacked',
    `receipt ${t.receiptId} has neither a bound proof nor a payer-signed payment, so its credits cannot count`,
  );
}

function ownerOnlySpends(e: Hold | Pay | Pledge | Release, ctx: JudgeContext): Verdict | null {
  return e.issuer === ctx.owner
    ? null
    : no('bad-signature', `only the ledger's owner ${short(ctx.owner)} can hold or pay from it`);
}

function judgeHold(h: Hold, ctx: JudgeContext): Verdict {
  const denied = ownerOnlySpends(h, ctx);
  if (denied !== null) return denied;
  const available = ctx.totals.balance - ctx.totals.held;
  if (h.budget > available)
    return no('uncovered', `a hold of ${h.budget} micro-credits exceeds the ${available} available`);
  const hold: HoldView = {
    id: h.id,
    ledger: h.ledger,
    jobId: h.jobId,
    budget: h.budget,
    paid: 0,
    open: true,
    seq: h.seq,
  };
  return { ok: true, hold, totals: applyHold(ctx.totals, h.budget) };
}

/** What a pay and a pledge both need: the owner signs, from an open hold of this ledger, to someone else. */
function openHoldFor(e: Pay | Pledge, ctx: JudgeContext): { hold: HoldView } | { refused: Verdict } {
  const denied = ownerOnlySpends(e, ctx);
  if (denied !== null) return { refused: denied };
  const hold = ctx.hold;
  if (hold === undefined || hold.ledger !== e.ledger)
    return { refused: no('uncovered', `no hold ${e.holdId} in this ledger`) };
  if (!hold.open) return { refused: no('bad-transition', `hold ${e.holdId} is already released`) };
  if (e.payee === ctx.owner)
    return {
      refused: no('bad-transition', `a wallet cannot ${e.kind === 'pay' ? 'pay' : 'pledge to'} itself`),
    };
  return { hold };
}

function judgePay(p: Pay, ctx: JudgeContext): Verdict {
  const open = openHoldFor(p, ctx);
  if ('refused' in open) return open.refused;
  const { hold } = open;
  const pledges = { ...hold.pledges };
  let pledged = hold.pledged ?? 0;
  if (p.pledge !== undefined) {
    const closed = pledges[p.pledge];
    if (closed === undefined)
      return no('bad-transition', `hold ${p.holdId} has no open pledge ${short(p.pledge)} to close`);
    if (closed.payee !== p.payee)
      return no(
        'bad-transition',
        `pledge ${short(p.pledge)} is to ${short(closed.payee)}, not ${short(p.payee)}`,
      );
    pledged -= closed.amount;
    delete pledges[p.pledge];
  }
  if (hold.paid + pledged + p.amount > hold.budget)
    return no(
      'uncovered',
      `paying ${p.amount} would exceed hold ${p.holdId}: ${hold.paid} of its budget ${hold.budget} paid, ${pledged} pledged`,
    );
  return {
    ok: true,
    hold: { ...hold, paid: hold.paid + p.amount, pledged, pledges },
    totals: applyPay(ctx.totals, p.amount),
  };
}

function judgePledge(p: Pledge, ctx: JudgeContext): Verdict {
  const open = openHoldFor(p, ctx);
  if ('refused' in open) return open.refused;
  const { hold } = open;
  const pledged = hold.pledged ?? 0;
  if (hold.paid + pledged + p.amount > hold.budget)
    return no(
      'uncovered',
      `pledging ${p.amount} would exceed hold ${p.holdId}: ${hold.paid} of its budget ${hold.budget} paid, ${pledged} pledged`,
    );
  const pledges = { ...hold.pledges, [entryHash(p)]: { payee: p.payee, amount: p.amount } };
  // Still held (not spent): a pay settles or voids it, a release counts it as paid.
  return { ok: true, hold: { ...hold, pledged: pledged + p.amount, pledges }, totals: ctx.totals };
}

function judgeRelease(r: Release, ctx: JudgeContext): Verdict {
  const denied = ownerOnlySpends(r, ctx);
  if (denied !== null) return denied;
  const hold = ctx.hold;
  if (hold === undefined || hold.ledger !== r.ledger)
    return no('bad-transition', `no hold ${r.holdId} in this ledger`);
  if (!hold.open) return no('bad-transition', `hold ${r.holdId} is already released`);
  return { ok: true, hold: { ...hold, open: false }, totals: applyRelease(ctx.totals, hold) };
}

function safeVerify(
  verify: ProofVerifier,
  proof: NonNullable<ReceiptView['proof']>,
  pctx: { minter: string; now: number },
): ProofVerdict {
  try {
    return verify(proof, pctx);
  } catch (err) {
    return { valid: false, credits: 0, reason: err instanceof Error ? err.message : String(err) };
  }
}

export function ownerOnly(owner: string): (issuer: string) => boolean {
  return (issuer) => issuer === owner;
}
