/**
 * Proofs of work for the ledger: a (header, nonce) whose double-SHA256 meets the target encoded by
 * `bits`. Anyone re-checks one with a single double hash (`verifyProof`), so a proof can back
 * credits, rate-limit identities (anti-Sybil) or certify a benchmark without trusting the prover.
 *
 * Credits are proportional to the work the target demands, not to the luck of the hash:
 *   credits(bits) = expectedHashes(target) / HASHES_PER_CREDIT,
 *   expectedHashes = floor(2^256 / (target + 1))   (Bitcoin Core's GetBlockProof).
 * The exchange rate matches the engine's price of work (docs/CREDITS.md: one credit is one
 * millisecond of one worker's CPU): HASHES_PER_CREDIT = 8192 ≈ the double-SHA256 evaluations a
 * native core does in 1 ms (dsha256-native.c measured 7–8.6 MH/s on this machine). A proof that
 * needs 2^24 hashes on average is thus worth 2048 credits; halving the target doubles the credits.
 */
import { HeaderHasher, digestDisplayHex } from './dsha256.ts';
import { bytesToHex, parseHeader, withNonce } from './header.ts';
import type { PowSearchJob, PowSearchResult } from './job.ts';
import { compactToTarget, digestMeetsTarget, expectedHashes, targetToWords } from './target.ts';

export const HASHES_PER_CREDIT = 8192;

export interface PowProof {
  /** 160 hex digits; its nonce field is replaced by `nonce` when checking. */
  header: string;
  nonce: number;
  /** Compact target the proof was made against. */
  bits: number;
  /** The claimed double-SHA256, display order. */
  hash: string;
}

export interface ProofCheck {
  valid: boolean;
  /** Credits the proof is worth; 0 when invalid. */
  credits: number;
  /** Why it was rejected, for the popup ("result rejected: …"). */
  reason?: string;
}

export function proofCredits(bits: number): number {
  return Number(expectedHashes(compactToTarget(bits))) / HASHES_PER_CREDIT;
}

/**
 * The proof for a successful search. The job must have been given compact `bits` (or used the
 * header's own): a hex target has no exact compact form in general, and a rounded one could
 * reject the very hash that met the original.
 */
export function proofFromSearch(job: PowSearchJob, result: PowSearchResult): PowProof {
  if (!result.found || result.nonce === null || result.hash === null)
    throw new RangeError('proof: the search found no nonce');
  if (job.bits === null)
    throw new RangeError('proof: proofs need a compact target; search with `bits` instead of `target`');
  return {
    header: bytesToHex(withNonce(job.header, result.nonce)),
    nonce: result.nonce,
    bits: job.bits,
    hash: result.hash,
  };
}

/** Checks a proof with one double hash. Never throws: malformed proofs come back invalid with a reason. */
export function verifyProof(proof: unknown): ProofCheck {
  try {
    if (typeof proof !== 'object' || proof === null)
      throw new TypeError('proof: expected an object {header, nonce, bits, hash}');
    const p = proof as Record<string, unknown>;
    const header = parseHeader(p['header'], 'proof.header');
    const nonce = p['nonce'];
    if (typeof nonce !== 'number' || !Number.isInteger(nonce) || nonce < 0 || nonce > 0xffffffff) {
      throw new RangeError(`proof.nonce: expected an unsigned 32-bit integer, got ${String(nonce)}`);
    }
    const target = compactToTarget(p['bits'], 'proof.bits');
    if (typeof p['hash'] !== 'string') throw new TypeError('proof.hash: expected 64 hex digits');
    const digest = new HeaderHasher(header).hashNonce(nonce);
    const hash = digestDisplayHex(digest);
    if (hash !== p['hash'].toLowerCase())
      return { valid: false, credits: 0, reason: `hash mismatch: the header hashes to ${hash}` };
    if (!digestMeetsTarget(digest, targetToWords(target)))
      return { valid: false, credits: 0, reason: 'hash is above the target' };
    return { valid: true, credits: proofCredits(p['bits'] as number) };
  } catch (err) {
    return { valid: false, credits: 0, reason: err instanceof Error ? err.message : String(err) };
  }
}
