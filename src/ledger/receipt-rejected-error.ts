/**
 * Why the ledger refused a record. The codes are stable (they are stored with the refused record
 * and cross context boundaries as `code`); `REJECTION_TEXT` is what the popup shows for each.
 */
export type RejectionCode =
  | 'bad-signature'
  | 'replay'
  | 'broken-chain'
  | 'bad-transition'
  | 'bad-proof'
  | 'malformed'
  /** A proof that is valid work but bound to no identity or another one (a public block header). */
  | 'unbound-proof'
  /** A bound proof from an epoch outside the acceptance window. */
  | 'stale-proof'
  /** Credits with neither a bound proof nor a payer's signed payment behind them. */
  | 'unbacked'
  /** A payment the payer's own signed chain does not cover (or cannot be checked). */
  | 'uncovered'
  /** The payer signed two conflicting records (a fork): its payments are refused from then on. */
  | 'double-spend';

export const REJECTION_CODES: readonly RejectionCode[] = [
  'bad-signature',
  'replay',
  'broken-chain',
  'bad-transition',
  'bad-proof',
  'malformed',
  'unbound-proof',
  'stale-proof',
  'unbacked',
  'uncovered',
  'double-spend',
];

export const REJECTION_TEXT: Readonly<Record<RejectionCode, string>> = {
  'bad-signature': 'rejected: bad signature',
  replay: 'rejected: replayed',
  'broken-chain': 'rejected: out of order',
  'bad-transition': 'rejected: invalid state change',
  'bad-proof': 'rejected: invalid proof',
  malformed: 'rejected: malformed receipt',
  'unbound-proof': 'rejected: proof not bound to this wallet',
  'stale-proof': 'rejected: proof too old',
  unbacked: 'rejected: no proof or payment behind it',
  uncovered: "rejected: payer's balance does not cover it",
  'double-spend': 'rejected: payer double-spent',
};

export class ReceiptRejectedError extends Error {
  override readonly name = 'ReceiptRejectedError';
  /** Same as `reason`; `serializeError` (src/messaging) carries `code` across contexts. */
  readonly code: RejectionCode;

  constructor(
    readonly reason: RejectionCode,
    /** What exactly was wrong, for logs and tests. */
    readonly detail: string,
    /** The refused record's `id`, when it had a readable one. */
    readonly entryId?: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${entryId === undefined ? 'record' : `record ${entryId}`} rejected (${reason}): ${detail}`,
      options,
    );
    this.code = reason;
  }
}
