/**
 * What the popup shows, computed from receipt views and refused records. Pure, so the numbers
 * are tested exactly; `Ledger.summary` feeds it from IndexedDB.
 *
 * All credit figures are integer micro-credits (receipt.ts). Only settled credits are earned;
 * estimated + verified are `pending`; rejected ones count nowhere. Days are local calendar days at
 * a fixed UTC offset (`utcOffsetMin`, minutes east of UTC: pass `-new Date().getTimezoneOffset()`);
 * a DST change inside the 7-day window shifts the older days by an hour, which a bar chart can bear.
 *
 * Energy: energyWh = cpuMs / 3 600 000 × wattsPerCore. The default 6 W is the power of one busy
 * core on mid-range hardware: a 45 W 8-core laptop CPU gives 5.6 W/core at full load, a 15 W
 * 4-core ultrabook 3.75, a 65 W 6-core desktop 10.8. It counts CPU time only (no GPU, screen or
 * idle baseline), so it estimates the extra energy INOS spent, not the machine's draw.
 */
import { SLOT_MS, addToSlot, type ReceiptView, type RefusedRecord, type SlotCredits } from './ledger-db.ts';
import { applyReceipt, emptyTotals, type ChainTotals } from './totals.ts';
import type { ReceiptState } from './receipt.ts';
import { REJECTION_TEXT, type RejectionCode } from './receipt-rejected-error.ts';

export const DAY_MS = 86_400_000;
export const DEFAULT_WATTS_PER_CORE = 6;
export const DEFAULT_RECENT = 20;
const MS_PER_HOUR = 3_600_000;

export interface SummaryOptions {
  /** Minutes east of UTC (UTC+2 → 120); default 0. */
  utcOffsetMin?: number;
  /** How many recent rows; default 20. */
  recent?: number;
  wattsPerCore?: number;
}

export interface DayCredits {
  /** Local date, YYYY-MM-DD. */
  day: string;
  /** Settled micro-credits of receipts issued that day. */
  credits: number;
  /** Estimated + verified micro-credits of receipts issued that day. */
  pending: number;
}

export interface RecentJob {
  /** Record id; undefined for a refused record whose id was unreadable. */
  id: string | undefined;
  capsule: string;
  jobId: string;
  /** issuedAt for receipts, when it arrived for refused records (ms). */
  time: number;
  credits: number;
  state: ReceiptState;
  /** Why it is zero / rejected; for refused records `refusalText` ("rejected: replayed"). */
  reason: string;
  /** For refused records: the ledger's exact reason (a tooltip), as stored with the refusal. */
  detail?: string;
  cpuMs: number;
  /** True when its credits are in the balance. */
  counted: boolean;
  /** Set when the ledger itself refused the record (forged, replayed, …). */
  refused?: RejectionCode;
  /** A payment's payer (the requester's node id), for receipts paid by a peer. */
  payer?: string;
}

export interface LedgerSummary {
  /** Settled credits received minus credits paid out. */
  balance: number;
  pending: number;
  /** Settled credits from peers' payments, and from bound proof-of-work. */
  paidByPeers: number;
  proofOfWork: number;
  /** Reserved by open escrow holds; paid to others. */
  held: number;
  spent: number;
  /** Settled / pending micro-credits of receipts issued on the local day of `now`. */
  today: number;
  todayPending: number;
  /** Oldest first, the last entry is today. */
  last7Days: DayCredits[];
  recent: RecentJob[];
  /** CPU time of every accepted receipt, whatever its state: the work was done either way. */
  cpuMs: number;
  energyWh: number;
  wattsPerCore: number;
}

export interface SummaryParts {
  totals: ChainTotals;
  /** Chart slots (SLOT_MS wide) covering at least the 7 local days up to `now`. */
  slots: readonly SlotCredits[];
  /** The newest receipts (any number ≥ the rows wanted) and refused records, any order. */
  recent: readonly ReceiptView[];
  refused: readonly RefusedRecord[];
}

/** The summary from every receipt (audits, tests): builds the same parts the ledger keeps. */
export function summarize(
  receipts: readonly ReceiptView[],
  refused: readonly RefusedRecord[],
  now: number,
  opts: SummaryOptions = {},
): LedgerSummary {
  let totals = emptyTotals(receipts[0]?.ledger ?? '');
  const slots = new Map<number, SlotCredits>();
  for (const r of receipts) {
    totals = applyReceipt(totals, undefined, r);
    const slot = Math.floor(r.issuedAt / SLOT_MS);
    slots.set(slot, addToSlot(slots.get(slot) ?? { ledger: r.ledger, slot, credits: 0, pending: 0 }, r, 1));
  }
  return summarizeParts({ totals, slots: [...slots.values()], recent: receipts, refused }, now, opts);
}

export function summarizeParts(parts: SummaryParts, now: number, opts: SummaryOptions = {}): LedgerSummary {
  const offsetMin = opts.utcOffsetMin ?? 0;
  const recentN = opts.recent ?? DEFAULT_RECENT;
  const watts = opts.wattsPerCore ?? DEFAULT_WATTS_PER_CORE;
  if (!Number.isInteger(offsetMin) || Math.abs(offsetMin) > 14 * 60) {
    throw new RangeError(`summary: utcOffsetMin must be whole minutes in [-840, 840], got ${offsetMin}`);
  }
  if (!Number.isSafeInteger(recentN) || recentN < 0)
    throw new RangeError(`summary: recent must be an integer ≥ 0, got ${recentN}`);
  if (!Number.isFinite(watts) || watts < 0)
    throw new RangeError(`summary: wattsPerCore must be a finite number ≥ 0, got ${watts}`);

  const dayOf = (ms: number) => Math.floor((ms + offsetMin * 60_000) / DAY_MS);
  const today = dayOf(now);
  const days: DayCredits[] = [];
  for (let d = today - 6; d <= today; d++)
    days.push({ day: new Date(d * DAY_MS).toISOString().slice(0, 10), credits: 0, pending: 0 });
  // A slot starts on a quarter hour and every real offset is whole quarter hours, so a slot lies in one local day.
  for (const s of parts.slots) {
    const bucket = days[dayOf(s.slot * SLOT_MS) - (today - 6)];
    if (bucket) {
      bucket.credits += s.credits;
      bucket.pending += s.pending;
    }
  }
  const todayBucket = days[6] ?? { credits: 0, pending: 0 };
  const t = parts.totals;
  return {
    balance: t.balance,
    pending: t.pending,
    paidByPeers: t.peerCredits,
    proofOfWork: t.powCredits,
    held: t.held,
    spent: t.spent,
    today: todayBucket.credits,
    todayPending: todayBucket.pending,
    last7Days: days,
    recent: recentRows(parts.recent, parts.refused, recentN),
    cpuMs: t.cpuMs,
    energyWh: (t.cpuMs / MS_PER_HOUR) * watts,
    wattsPerCore: watts,
  };
}

function recentRows(
  receipts: readonly ReceiptView[],
  refused: readonly RefusedRecord[],
  n: number,
): RecentJob[] {
  // `tie` orders rows with equal times: later in the chain (or later refused) first.
  const rows: (RecentJob & { tie: number })[] = receipts.map((r) => ({
    id: r.id,
    capsule: r.capsule,
    jobId: r.jobId,
    time: r.issuedAt,
    credits: r.credits,
    state: r.state,
    reason: r.reason,
    cpuMs: r.cpuMs,
    counted: r.state === 'settled',
    ...(r.payment ? { payer: r.payment.ledger } : {}),
    tie: r.seq,
  }));
  for (const f of refused) {
    rows.push({
      id: f.id,
      capsule: f.capsule ?? '',
      jobId: f.jobId ?? '',
      time: f.receivedAt,
      credits: f.credits ?? 0,
      state: 'rejected',
      reason: refusalText(f.code, f.detail),
      ...(f.detail !== '' ? { detail: f.detail } : {}),
      cpuMs: 0,
      counted: false,
      refused: f.code,
      tie: f.n ?? 0,
    });
  }
  rows.sort((a, b) => b.time - a.time || b.tie - a.tie);
  return rows.slice(0, n).map(({ tie: _tie, ...row }) => row);
}

/**
 * Refusals that share a code but mean different things to a user, told apart by the ledger's
 * detail: a proof that is a public block header or another node's; a payer whose chain is backed by
 * one (refused as 'uncovered' by the payer audit, verify-history.ts, with the inner code in the
 * detail); a payment its payer never signed into its chain; a fork caught here or a payer refused
 * for one it signed earlier. The patterns are the ledger's and the pow checker's own wording
 * (tests/unit/ledger/refusal-text.test.ts produces each one through the real code paths).
 */
const REFINED: readonly { code: RejectionCode; detail: RegExp; text: string }[] = [
  {
    code: 'unbound-proof',
    detail: /commits to no INOS identity/,
    text: 'rejected: a public block header, not work bound to this wallet',
  },
  {
    code: 'unbound-proof',
    detail: /bound to another identity/,
    text: "rejected: another node's proof, not bound to this wallet",
  },
  {
    code: 'uncovered',
    detail: /\(unbound-proof: .*commits to no INOS identity/,
    text: "rejected: the payer's credits come from a public block header",
  },
  {
    code: 'uncovered',
    detail: /\(unbound-proof: .*bound to another identity/,
    text: "rejected: the payer's credits come from another node's proof",
  },
  {
    code: 'uncovered',
    detail: /does not contain this payment/,
    text: "rejected: forged payment, not in the payer's signed chain",
  },
  {
    code: 'double-spend',
    detail: /signed two records at seq/,
    text: 'rejected: payer double-spent (signed a fork)',
  },
  {
    code: 'double-spend',
    detail: /signed a fork earlier|proven double spender/,
    text: 'rejected: payer double-spent earlier, refused from then on',
  },
];

/** What the popup shows for a refusal: the code's REJECTION_TEXT, or a finer one its detail names. */
export function refusalText(code: RejectionCode, detail: string): string {
  return REFINED.find((r) => r.code === code && r.detail.test(detail))?.text ?? REJECTION_TEXT[code];
}
