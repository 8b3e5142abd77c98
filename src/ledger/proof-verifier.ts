/**
 * How the ledger meets proof-of-work without implementing it: the proof-of-work capsule
 * (src/capsules/pow/proof.ts) owns hashing and targets; the ledger takes its checker as a function.
 * `verifyProof` from that module fits `ProofVerifier` as it is ({valid, credits, reason?}).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from './_canonical.ts';
import { MICRO_CREDITS_PER_CREDIT, type PowProofRecord } from './receipt.ts';

export interface ProofVerdict {
  valid: boolean;
  /** Whole credits the proof is worth (fractions allowed); 0 when invalid. */
  credits: number;
  /** The recomputed double-SHA256, when the checker reports it. */
  hash?: string;
  /** Why it is invalid, for logs. */
  reason?: string;
  /** Valid work that is not this minter's ('unbound') or not recent ('stale'). */
  code?: 'unbound' | 'stale';
}

/** Whose credits the proof would become, and the verifier's clock (for the epoch window). */
export interface ProofContext {
  minter: string;
  now: number;
}

/**
 * Must not throw: a malformed proof is `{ valid: false }`. Production passes pow's
 * `verifyBoundProof`, which refuses work not bound to `ctx.minter` in a recent epoch.
 */
export type ProofVerifier = (proof: PowProofRecord, ctx: ProofContext) => ProofVerdict;

/** Whole (possibly fractional) credits to integer micro-credits, rounding down: never pay for unproven work. */
export function toMicroCredits(credits: number): number {
  if (!Number.isFinite(credits) || credits <= 0) return 0;
  return Math.min(Math.floor(credits * MICRO_CREDITS_PER_CREDIT), Number.MAX_SAFE_INTEGER);
}

const NONCE_HEX_OFFSET = 152; // byte 76 of the 80-byte header: the nonce, little-endian

/**
 * The job id of a proof: `pow:` + SHA-256 of the header the verifier actually hashes (the header
 * with `nonce` written over bytes 76..79). Two proofs with the same header and nonce are the same
 * work whatever `bits` they claim or whatever their header's stale nonce bytes say, so they get
 * the same job id and the second is a replay.
 */
export function proofJobId(proof: PowProofRecord): string {
  const header: unknown = typeof proof.header === 'string' ? proof.header.toLowerCase() : proof.header;
  if (
    typeof header !== 'string' ||
    !/^[0-9a-f]{160}$/.test(header) ||
    !Number.isInteger(proof.nonce) ||
    proof.nonce < 0 ||
    proof.nonce > 0xffffffff
  ) {
    // The ledger refuses it as 'bad-proof'; the id only has to be stable and distinct.
    return `pow:malformed:${bytesToHex(sha256(utf8ToBytes(safeJson(proof))))}`;
  }
  const le = [0, 8, 16, 24].map((s) => ((proof.nonce >>> s) & 0xff).toString(16).padStart(2, '0')).join('');
  const effective = header.slice(0, NONCE_HEX_OFFSET) + le;
  return `pow:${bytesToHex(sha256(hexToBytes(effective)))}`;
}

function safeJson(v: unknown): string {
  try {
    return canonicalJson(v);
  } catch {
    return String(JSON.stringify(v));
  }
}
