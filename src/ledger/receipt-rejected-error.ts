/**
 * Why the ledger refused a record. The codes are stable (they are stored with the refused record
 * and cross context boundaries as `code`); `REJECTION_TEXT` is what the popup shows for each.
 */
export type RejectionCode =
  'bad-signature' | 'replay' | 'broken-chain' | 'bad-transition' | 'bad-proof' | 'malformed';

export const REJECTION_CODES: readonly RejectionCode[] = [
  'bad-signature',
  'replay',
  'broken-chain',
  'bad-transition',
  'bad-proof',
  'malformed',
];

export const REJECTION_TEXT: Readonly<Record<RejectionCode, string>> = {
  'bad-signature': 'rejected: bad signature',
  replay: 'rejected: replayed',
  'broken-chain': 'rejected: out of order',
  'bad-transition': 'rejected: invalid state change',
  'bad-proof': 'rejected: invalid proof',
  malformed: 'rejected: malformed receipt',
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
