/**
 * Public API of the wallet and ledger. Internals (_canonical.ts, _judge.ts) stay unexported on
 * purpose: the acceptance rule is reachable only through `Ledger.append` and `verifyHistory`.
 *
 * Wiring (background service worker):
 *   const db = await openLedgerDb({ indexedDB });
 *   const identity = await loadOrCreateIdentity(db);
 *   const ledger = new Ledger(db, { owner: identity.nodeId, verifyProof: verifyBoundProof });
 *   const issuer = new ReceiptIssuer(ledger, identity);
 *   const minter = new Minter(issuer, { verify: verifyBoundProof, estimate: (p) => proofCredits(p.bits) });
 *   const payments = new Payments(ledger, issuer);   // escrow, paying and being paid
 *   popup: await ledger.summary(Date.now(), { utcOffsetMin: -new Date().getTimezoneOffset() })
 */
export {
  type ArchiveSegment,
  type AuditedChain,
  type KeptPledge,
  type ChainHead,
  type Checkpoint,
  type LedgerDb,
  type LedgerDbSchema,
  type OpenLedgerDbOptions,
  type ReceiptView,
  type RefusedRecord,
  type SlotCredits,
  LEDGER_DB_NAME,
  SLOT_MS,
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
  type BackupOptions,
  type WalletContents,
  MIN_PASSPHRASE_CHARS,
  SCRYPT_PARAMS,
  WALLET_BACKUP_FORMAT,
  WALLET_BACKUP_VERSION,
  WALLET_BACKUP_WARNING,
  describeBackup,
  exportWallet,
  importWallet,
} from './backup.ts';
export {
  type Hold,
  type LedgerEntry,
  type Pay,
  type Pledge,
  type PowProofRecord,
  type Release,
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
  paymentJobId,
  pledgeJobId,
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
  type CompactOptions,
  type CompactReport,
  DEFAULT_COMPACT_AFTER_MS,
  SEGMENT_RECORDS,
  checkpointMessage,
  packSegment,
  unpackSegment,
  verifyCheckpoint,
} from './compaction.ts';
export { type ChainTotals, type HoldView, applyReceipt, emptyTotals } from './totals.ts';
export { type ForkProof, type ForkCheck, verifyForkProof } from './fork.ts';
export {
  type BundleOptions,
  type PaymentBundle,
  type PledgeBundle,
  PLEDGE_VOIDED_REASON,
  REQUESTER_LEFT_REASON,
  Payments,
} from './payments.ts';
export {
  type DayCredits,
  type LedgerSummary,
  type RecentJob,
  type SummaryOptions,
  type SummaryParts,
  DAY_MS,
  DEFAULT_RECENT,
  DEFAULT_WATTS_PER_CORE,
  summarize,
  summarizeParts,
} from './summary.ts';
export {
  type NewReceipt,
  type ReceiptIssuerOptions,
  type TransitionOptions,
  ReceiptIssuer,
} from './receipt-issuer.ts';
export {
  type ProofContext,
  type ProofVerdict,
  type ProofVerifier,
  proofJobId,
  toMicroCredits,
} from './proof-verifier.ts';
export {
  type MintWork,
  type MinterOptions,
  INVALID_PROOF_REASON,
  STALE_PROOF_REASON,
  TINY_PROOF_REASON,
  UNBOUND_PROOF_REASON,
  Minter,
} from './mint.ts';
export {
  type AuditState,
  type HistoryCheck,
  type VerifyHistoryOptions,
  auditPayment,
  verifyHistory,
} from './verify-history.ts';
