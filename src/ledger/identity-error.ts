/**
 * A backup that cannot be imported, or a stored key that cannot be loaded. The message says what
 * was wrong and what is expected; `code` lets the UI pick its own wording.
 */
export type IdentityErrorCode =
  | 'not-json'
  | 'wrong-format'
  | 'wrong-version'
  | 'bad-hex'
  | 'key-mismatch'
  | 'corrupt-store'
  | 'wrong-passphrase'
  | 'weak-passphrase'
  /** The import would replace a key that still holds credits; confirm twice to go on. */
  | 'would-discard'
  /** The backup's ledger does not pass an audit. */
  | 'bad-ledger';

export class IdentityError extends Error {
  override readonly name = 'IdentityError';

  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
