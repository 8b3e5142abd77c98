/**
 * Public API of the wallet and ledger. Internals (_canonical.ts, _judge.ts) stay unexported on
 * purpose: the acceptance rule is reachable only through `Ledger.append` and `verifyHistory`.
 *
 * Wiring (background service worker):
 *   const db = await openLedgerDb({ indexedDB });
 *   const identity = await loadOrCreateIdentity(db);
 *   const ledger = new Ledger(db, { owner: identity.nodeId, verifyProof });
 *   const issuer = new ReceiptIssuer(ledger, identity);
 *   const minter = new Minter(issuer, { verify: verifyProof, estimate: (p) => proofCredits(p.bits) });
 *   popup: await ledger.summary(Date.now(), { utcOffsetMin: -new Date().getTimezoneOffset() })
 */
export {
  type ChainHead,
  type LedgerDb,
  type LedgerDbSchema,
  type OpenLedgerDbOptions,
  type ReceiptView,
  type RefusedRecord,
  LEDGER_DB_NAME,
  LEDGER_DB_VERSION,
  openLedgerDb,
} from './ledger-db.ts';
export {
  type LoadIdentityOptions,
  IDENTITY_BACKUP_FORMAT,
  IDENTITY_BACKUP_VERSION,
  IDENTITY_BACKUP_WARNING,
  Identity,
  exportIdentity,
  importIdentity,
  loadOrCreateIdentity,
  saveIdentity,
} from './identity.ts';
export { type IdentityErrorCode, IdentityError } from './identity-error.ts';
export {
  type LedgerEntry,
  type PowProofRecord,
  type Receipt,
  type ReceiptState,
  type Signer,
  type Transition,
  type UnsignedEntry,
  type UnsignedReceipt,
  type UnsignedTransition,
  MICRO_CREDITS_PER_CREDIT,
  RECEIPT_STATES,
  RECORD_DOMAIN,
  RECORD_VERSION,
  ZERO_HASH,
  entryDigest,
  entryHash,
  parseEntry,
  signEntry,
  verifyEntrySignature,
} from './receipt.ts';
export {
  type RejectionCode,
  REJECTION_CODES,
  REJECTION_TEXT,
  ReceiptRejectedError,
} from './receipt-rejected-error.ts';
export { type LedgerOptions, type Totals, Ledger } from './ledger.ts';
export {
  type DayCredits,
  type LedgerSummary,
  type RecentJob,
  type SummaryOptions,
  DAY_MS,
  DEFAULT_RECENT,
  DEFAULT_WATTS_PER_CORE,
  summarize,
} from './summary.ts';
export {
  type NewReceipt,
  type ReceiptIssuerOptions,
  type TransitionOptions,
  ReceiptIssuer,
} from './receipt-issuer.ts';
export { type ProofVerdict, type ProofVerifier, proofJobId, toMicroCredits } from './proof-verifier.ts';
export {
  type MintWork,
  type MinterOptions,
  INVALID_PROOF_REASON,
  TINY_PROOF_REASON,
  Minter,
} from './mint.ts';
export { type HistoryCheck, type VerifyHistoryOptions, verifyHistory } from './verify-history.ts';
