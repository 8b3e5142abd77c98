/**
 * The ledger's record format: signed, hash-chained receipts and the signed state transitions that
 * move them. Everything a third party needs to re-check a node's earnings is in this file.
 *
 * A ledger is ONE hash chain per node: `ledger` is the node's Ed25519 public key (hex, the node
 * id). Receipts and transitions share the chain, so the order of state changes is itself signed
 * and no change can be dropped or reordered without breaking `prev`.
 *
 * Fields common to both kinds (version 1):
 * | field    | type                 | meaning                                                       |
 * |----------|----------------------|---------------------------------------------------------------|
 * | v        | 1                    | format version                                                |
 * | kind     | 'receipt'|'transition'                                                               |
 * | id       | [A-Za-z0-9._:-]{1,128} | unique among all records of the ledger                      |
 * | ledger   | 64 hex               | the node whose chain this is                                  |
 * | seq      | int ≥ 1              | position in the chain: previous seq + 1 (first record: 1)     |
 * | prev     | 64 hex               | `hash` of the previous record; 64 zeros for the first         |
 * | issuer   | 64 hex               | Ed25519 public key that signed this record                    |
 * | issuedAt | int ms since epoch   | when the issuer made the record                               |
 * | sig      | 128 hex              | Ed25519 signature of `hash` by `issuer`                       |
 *
 * kind 'receipt' (one per job, or one per zero: "no work available", "on battery", …):
 * | jobId, capsule, method | strings | what ran; (issuer, jobId) is unique per ledger          |
 * | credits    | int ≥ 0  | micro-credits (1 credit = 1 000 000), integers so sums are exact  |
 * | cpuMs, bytesMoved | int ≥ 0 | resources spent, for the popup's CPU/energy line           |
 * | state      | 'estimated' (normal start) | 'settled' (only with 0 credits) | 'rejected'   |
 * | reason     | string ≤ 200 | REQUIRED (non-blank) when credits are 0 or state is rejected  |
 * | proof?     | {header: 160 hex, bits: u32, nonce: u32, hash: 64 hex} | for proof-of-work mints  |
 *
 * kind 'transition' (moves receipt `receiptId` from `from` to `to`, signed by that receipt's issuer):
 * | receiptId | id | from, to | states | credits | int ≥ 0, what the receipt is worth from now on |
 * | reason    | string, required as above (to 'rejected' or 0 credits)                          |
 * Allowed: estimated → verified → settled, and estimated|verified → rejected. Settling keeps the
 * verified amount. Only settled credits count towards the balance, and credits may reach
 * 'verified' only with a backing: a `proof` (bound proof-of-work, re-checked against the ledger's
 * owner and the epoch) or a `payment` (a `pay` record signed by the payer, whose own chain covers
 * it; jobId = paymentJobId(payment)). Nothing else creates credits.
 *
 * Payments, in the PAYER's chain, signed by the payer (escrow):
 * | kind 'hold'    | jobId, budget (int ≥ 1) | reserves budget from the available balance        |
 * | kind 'pay'     | holdId, payee (64 hex), amount (int ≥ 1), jobId, capsule, method | pays one |
 * |                | verified result from the hold; the hold's pays never exceed its budget     |
 * | kind 'pledge'  | holdId, payee, amount ≥ 1, jobId, capsule, method, redeemAfter | escrow for one
 * |                | assigned run, signed at assignment: reserved in the hold; the payee may redeem  |
 * |                | it after redeemAfter with its result hash (a receipt with `pledge`, `result`)    |
 * |                | unless a pay with `pledge` = its hash closed it (settled, or voided with 0)     |
 * | kind 'release' | holdId, reason | closes the hold; what was not paid returns to the balance; |
 * |                | pledges still open count as paid (their payees may redeem them)             |
 * balance = settled receipts − pays; held = open holds' budget − their pays; available = balance −
 * held, and a hold must fit in what is available. Two records with one (ledger, seq) and different
 * hashes, both signed by the ledger's key, are a fork (fork.ts): proof of a double spend.
 *
 * Signing: canonical = canonicalJson(record without `sig`) (sorted keys, no whitespace, integers
 * only; see _canonical.ts); hash = SHA-256(DOMAIN ‖ UTF-8(canonical)) with DOMAIN the 22 bytes
 * "INOS ledger record v1\n"; sig = Ed25519(hash) (RFC 8032, verified strictly, not ZIP-215).
 * The domain prefix keeps a ledger signature from ever being valid for another message the same
 * node key signs (mesh handshakes, say). Hex is lowercase so every record has one spelling.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { canonicalJson } from './_canonical.ts';
import { ReceiptRejectedError } from './receipt-rejected-error.ts';

export const RECORD_VERSION = 1;
export const MICRO_CREDITS_PER_CREDIT = 1_000_000;
export const ZERO_HASH = '0'.repeat(64);
export const RECORD_DOMAIN = 'INOS ledger record v1\n';
const DOMAIN_BYTES = utf8ToBytes(RECORD_DOMAIN);

export const RECEIPT_STATES = ['estimated', 'verified', 'settled', 'rejected'] as const;
export type ReceiptState = (typeof RECEIPT_STATES)[number];

/**
 * The job id of a receipt backed by a payment: `pay:` + the pay record's hash (one receipt per
 * payment); for a pay that closes a pledge, and for a redeemed pledge, `pledge:` + the pledge's
 * hash, so a payee books a pledge once, by the payer's pay or by redeeming it, never both.
 */
export function paymentJobId(pay: Pay): string {
  return pay.pledge !== undefined ? pledgeJobId(pay.pledge) : `pay:${entryHash(pay)}`;
}

export function pledgeJobId(pledgeHash: string): string {
  return `pledge:${pledgeHash}`;
}

const lowerHex = (digits: number, what: string) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${digits}}$`), `expected ${digits} lowercase hex digits (${what})`);
const count = z.int().min(0);
const recordId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'expected 1-128 characters from A-Z a-z 0-9 . _ : -');
const label = (max: number) => z.string().min(1).max(max);
const reason = z.string().max(200);
const state = z.enum(RECEIPT_STATES);

const proofSchema = z.strictObject({
  header: lowerHex(160, 'the 80-byte header'),
  bits: z.int().min(0).max(0xffffffff),
  nonce: z.int().min(0).max(0xffffffff),
  hash: lowerHex(64, 'double-SHA256, display order'),
});

const chainFields = {
  v: z.literal(RECORD_VERSION),
  id: recordId,
  ledger: lowerHex(64, 'Ed25519 public key'),
  seq: z.int().min(1),
  prev: lowerHex(64, 'SHA-256 of the previous record'),
  issuer: lowerHex(64, 'Ed25519 public key'),
  issuedAt: count,
  sig: lowerHex(128, 'Ed25519 signature'),
};

const paySchema = z.strictObject({
  ...chainFields,
  kind: z.literal('pay'),
  holdId: recordId,
  payee: lowerHex(64, 'Ed25519 public key of the contributor paid'),
  /** ≥ 1; 0 only when it closes a pledge (a void: the pledged result was not accepted). */
  amount: z.int().min(0),
  jobId: label(200),
  capsule: label(64),
  method: label(64),
  /** The hash of the pledge this pay closes (settles or voids), if any. */
  pledge: lowerHex(64, 'hash of the pledge record it closes').optional(),
});

const pledgeSchema = z.strictObject({
  ...chainFields,
  kind: z.literal('pledge'),
  holdId: recordId,
  payee: lowerHex(64, 'Ed25519 public key of the contributor'),
  amount: z.int().min(1),
  jobId: label(200),
  capsule: label(64),
  method: label(64),
  /** Unix ms: from then on the payee may redeem it with its result, unless a pay closed it. */
  redeemAfter: count,
});

const receiptSchema = z.strictObject({
  ...chainFields,
  kind: z.literal('receipt'),
  jobId: label(200),
  capsule: label(64),
  method: label(64),
  credits: count,
  cpuMs: count,
  bytesMoved: count,
  state,
  reason,
  proof: proofSchema.optional(),
  payment: paySchema.optional(),
  /** A pledge redeemed after its redeemAfter (the requester left): needs `result`. */
  pledge: pledgeSchema.optional(),
  /** BLAKE3 of the output the redeemed pledge paid for (the contributor's signed result). */
  result: lowerHex(64, 'BLAKE3-256 of the result').optional(),
});

const transitionSchema = z.strictObject({
  ...chainFields,
  kind: z.literal('transition'),
  receiptId: recordId,
  from: state,
  to: state,
  credits: count,
  reason,
});

const holdSchema = z.strictObject({
  ...chainFields,
  kind: z.literal('hold'),
  jobId: label(200),
  budget: z.int().min(1),
});

const releaseSchema = z.strictObject({
  ...chainFields,
  kind: z.literal('release'),
  holdId: recordId,
  reason,
});

const entrySchema = z
  .discriminatedUnion('kind', [
    receiptSchema,
    transitionSchema,
    holdSchema,
    paySchema,
    pledgeSchema,
    releaseSchema,
  ])
  .superRefine((e, ctx) => {
    if (e.kind === 'pay' && e.amount === 0 && e.pledge === undefined)
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'a pay of 0 must close a pledge' });
    if (e.kind !== 'receipt' && e.kind !== 'transition') return;
    const rejected = e.kind === 'receipt' ? e.state === 'rejected' : e.to === 'rejected';
    if ((e.credits === 0 || rejected) && e.reason.trim() === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['reason'],
        message: 'a zero or a rejection needs a reason the popup can show (e.g. "no work available")',
      });
    }
    if (e.kind !== 'receipt') return;
    const backings = [e.proof, e.payment, e.pledge].filter((b) => b !== undefined).length;
    if (backings > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['payment'],
        message: 'a receipt is backed by one of a proof, a payment or a pledge, not several',
      });
    }
    if ((e.pledge === undefined) !== (e.result === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['result'],
        message: 'a redeemed pledge needs the result hash, and only a pledge has one',
      });
  });

export type PowProofRecord = z.infer<typeof proofSchema>;
export type Receipt = z.infer<typeof receiptSchema>;
export type Transition = z.infer<typeof transitionSchema>;
export type Hold = z.infer<typeof holdSchema>;
export type Pay = z.infer<typeof paySchema>;
export type Pledge = z.infer<typeof pledgeSchema>;
export type Release = z.infer<typeof releaseSchema>;
export type LedgerEntry = Receipt | Transition | Hold | Pay | Pledge | Release;
export type UnsignedReceipt = Omit<Receipt, 'sig'>;
export type UnsignedTransition = Omit<Transition, 'sig'>;
export type UnsignedHold = Omit<Hold, 'sig'>;
export type UnsignedPay = Omit<Pay, 'sig'>;
export type UnsignedRelease = Omit<Release, 'sig'>;
export type UnsignedPledge = Omit<Pledge, 'sig'>;
export type UnsignedEntry =
  UnsignedReceipt | UnsignedTransition | UnsignedHold | UnsignedPay | UnsignedPledge | UnsignedRelease;

/** What can sign records; `Identity` is one. */
export interface Signer {
  /** Public key, 64 lowercase hex digits. */
  readonly nodeId: string;
  sign(message: Uint8Array): Uint8Array;
}

/**
 * Validates an untrusted record. Returns a fresh copy (later changes to `input` cannot reach the
 * ledger). Throws `ReceiptRejectedError` 'bad-proof' when only the proof is wrong, else 'malformed'.
 */
export function parseEntry(input: unknown): LedgerEntry {
  const parsed = entrySchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const onlyProof = issues.every((i) => i.path[0] === 'proof');
  const detail = issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || 'record'}: ${i.message}`)
    .join('; ');
  throw new ReceiptRejectedError(onlyProof ? 'bad-proof' : 'malformed', detail, readableId(input));
}

/** The record's `id` if it has a plausible one, for error messages about records that failed parsing. */
export function readableId(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const id: unknown = (input as Record<string, unknown>)['id'];
  return typeof id === 'string' && recordId.safeParse(id).success ? id : undefined;
}

/** SHA-256(DOMAIN ‖ canonical JSON without `sig`): what is signed, and what the next `prev` names. */
export function entryDigest(entry: UnsignedEntry | LedgerEntry): Uint8Array {
  const fields: Record<string, unknown> = { ...entry };
  delete fields['sig'];
  return sha256(concatBytes(DOMAIN_BYTES, utf8ToBytes(canonicalJson(fields))));
}

export function entryHash(entry: UnsignedEntry | LedgerEntry): string {
  return bytesToHex(entryDigest(entry));
}

export function signEntry<T extends UnsignedEntry>(unsigned: T, signer: Signer): T & { sig: string } {
  if (unsigned.issuer !== signer.nodeId) {
    throw new RangeError(
      `signEntry: record names issuer ${unsigned.issuer.slice(0, 12)}… but the signer is ${signer.nodeId.slice(0, 12)}…`,
    );
  }
  return { ...unsigned, sig: bytesToHex(signer.sign(entryDigest(unsigned))) };
}

/** True when `sig` is `issuer`'s strict RFC 8032 signature of the record's hash. Never throws. */
export function verifyEntrySignature(entry: LedgerEntry): boolean {
  try {
    return ed25519.verify(hexToBytes(entry.sig), entryDigest(entry), hexToBytes(entry.issuer), {
      zip215: false,
    });
  } catch {
    return false;
  }
}
