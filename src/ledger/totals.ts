/**
 * Running totals of one chain, kept next to its head so the popup's summary and each mint read one
 * record instead of every receipt. A pure function of the chain: `applyReceipt` / `applyHold…` are
 * what `judge` calls for each accepted record, the live ledger stores the result in the same
 * IndexedDB transaction as the record, and `verifyHistory` recomputes it from scratch.
 *
 * All figures are integer micro-credits. balance = settled receipts − pays (what the node owns);
 * held = what open holds still reserve; available = balance − held (what a new hold may take).
 */
import type { ReceiptState } from './receipt.ts';

/** What the totals read of a receipt view (ledger-db.ts's ReceiptView has these fields). */
export interface CountedReceipt {
  state: ReceiptState;
  credits: number;
  cpuMs: number;
  proof?: unknown;
  payment?: unknown;
  pledge?: unknown;
}

export interface ChainTotals {
  ledger: string;
  /** Settled credits received minus credits paid out. */
  balance: number;
  /** Estimated + verified credits. */
  pending: number;
  /** Budget reserved by open holds and not yet paid. */
  held: number;
  /** Settled credits backed by bound proof-of-work. */
  powCredits: number;
  /** Settled credits backed by payments from peers. */
  peerCredits: number;
  /** Credits paid to others. */
  spent: number;
  /** CPU time of every accepted receipt, whatever its state. */
  cpuMs: number;
  receipts: number;
}

/** A hold (escrow) as it stands. */
export interface HoldView {
  id: string;
  ledger: string;
  jobId: string;
  budget: number;
  paid: number;
  open: boolean;
  seq: number;
  /** Reserved by open pledges (absent in holds stored before pledges existed: 0). */
  pledged?: number;
  /** Open pledges by record hash. */
  pledges?: Record<string, { payee: string; amount: number }>;
}

export function emptyTotals(ledger: string): ChainTotals {
  return {
    ledger,
    balance: 0,
    pending: 0,
    held: 0,
    powCredits: 0,
    peerCredits: 0,
    spent: 0,
    cpuMs: 0,
    receipts: 0,
  };
}

export type Backing = 'pow' | 'peer' | 'none';

export function backingOf(r: Pick<CountedReceipt, 'proof' | 'payment' | 'pledge'>): Backing {
  return r.proof !== undefined ? 'pow' : r.payment !== undefined || r.pledge !== undefined ? 'peer' : 'none';
}

/** Totals after a receipt moved from `before` (undefined: a new receipt) to `after`. */
export function applyReceipt(
  t: ChainTotals,
  before: CountedReceipt | undefined,
  after: CountedReceipt,
): ChainTotals {
  const next = { ...t };
  const add = (r: CountedReceipt, sign: 1 | -1) => {
    if (r.state === 'settled') {
      next.balance += sign * r.credits;
      const b = backingOf(r);
      if (b === 'pow') next.powCredits += sign * r.credits;
      else if (b === 'peer') next.peerCredits += sign * r.credits;
    } else if (r.state === 'estimated' || r.state === 'verified') next.pending += sign * r.credits;
  };
  if (before !== undefined) add(before, -1);
  else {
    next.receipts += 1;
    next.cpuMs += after.cpuMs;
  }
  add(after, 1);
  return next;
}

export function applyHold(t: ChainTotals, budget: number): ChainTotals {
  return { ...t, held: t.held + budget };
}

export function applyPay(t: ChainTotals, amount: number): ChainTotals {
  return { ...t, balance: t.balance - amount, held: t.held - amount, spent: t.spent + amount };
}

/** Closes a hold: the unpaid rest returns, except open pledges, which count as paid (their payees may redeem them). */
export function applyRelease(t: ChainTotals, hold: HoldView): ChainTotals {
  const pledged = hold.pledged ?? 0;
  return {
    ...t,
    held: t.held - (hold.budget - hold.paid),
    balance: t.balance - pledged,
    spent: t.spent + pledged,
  };
}
