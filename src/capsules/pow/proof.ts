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
 *
 * `verifyProof` only checks the arithmetic, so any public Bitcoin block header passes it. Credits
 * come from BOUND work only (`verifyBoundProof`): a work item whose header commits to the minter's
 * Ed25519 public key and to a recent epoch, laid out in Bitcoin's 80 bytes so the same CPU/SIMD/GPU
 * kernels search it:
 *
 * | bytes  | field   | bound work item                                                           |
 * |--------|---------|---------------------------------------------------------------------------|
 * | 0..4   | version | BOUND_VERSION (LE u32 0x534f4e49, "INOS")                                  |
 * | 4..36  | prev    | SHA-256("INOS bound work v1\n" ‖ minter public key (32 B) ‖ epoch (LE u32)) |
 * | 36..68 | merkle  | salt chosen by the minter (distinct per work item)                        |
 * | 68..72 | time    | epoch (LE u32) = floor(unix ms / EPOCH_MS)                                |
 * | 72..76 | bits    | the compact target; must equal the proof's `bits`                          |
 * | 76..80 | nonce   | found by the search                                                       |
 *
 * A real block header cannot carry a binding (its `prev` would have to be a SHA-256 preimage of
 * ours), another node's proof names another key, and an epoch older than EPOCH_WINDOW epochs is
 * refused, so work cannot be stockpiled or replayed later. The epoch is a coarse clock, not a
 * consensus value: an hour, with the current and the previous epoch accepted and MAX_CLOCK_SKEW_MS
 * of tolerance for a clock running ahead.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, hexToBytes as nobleHexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { HeaderHasher, digestDisplayHex } from './dsha256.ts';
import { bytesToHex, parseHeader, readUint32LE, withNonce, writeUint32LE } from './header.ts';
import type { PowSearchJob, PowSearchResult } from './job.ts';
import { compactToTarget, digestMeetsTarget, expectedHashes, targetToWords } from './target.ts';

export const HASHES_PER_CREDIT = 8192;
/** One epoch of bound work: an hour. */
export const EPOCH_MS = 3_600_000;
/** Epochs accepted besides the current one: the previous one (a proof at most ~2 h old). */
export const EPOCH_WINDOW = 1;
/** A verifier accepts the next epoch this early (clocks drift). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Header version of a bound work item: the bytes "INOS". */
export const BOUND_VERSION = 0x534f4e49;
const BINDING_DOMAIN = utf8ToBytes('INOS bound work v1\n');
const HEX64 = /^[0-9a-f]{64}$/;

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

export function epochOf(ms: number): number {
  return Math.floor(ms / EPOCH_MS);
}

/** SHA-256(domain ‖ minter key ‖ epoch): what a bound header carries in its `prev` field. */
export function bindingCommitment(minter: string, epoch: number): Uint8Array {
  if (!HEX64.test(minter))
    throw new RangeError('bound work: minter must be a node id (64 lowercase hex digits)');
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff)
    throw new RangeError(`bound work: epoch must be an unsigned 32-bit integer, got ${epoch}`);
  const e = new Uint8Array(4);
  writeUint32LE(e, 0, epoch);
  return sha256(concatBytes(BINDING_DOMAIN, nobleHexToBytes(minter), e));
}

/** A work item bound to `minter` and `epoch`, nonce 0, as 160 hex digits; `salt` is 32 bytes. */
export function boundHeader(minter: string, epoch: number, salt: Uint8Array, bits: number): string {
  if (!(salt instanceof Uint8Array) || salt.length !== 32)
    throw new RangeError('bound work: salt must be 32 bytes');
  compactToTarget(bits);
  const h = new Uint8Array(80);
  writeUint32LE(h, 0, BOUND_VERSION);
  h.set(bindingCommitment(minter, epoch), 4);
  h.set(salt, 36);
  writeUint32LE(h, 68, epoch);
  writeUint32LE(h, 72, bits);
  return bytesToHex(h);
}

/** Who and when a header is bound to, or null when it is not a bound work item at all. */
export function boundTo(headerHex: string, minter: string): { epoch: number; mine: boolean } | null {
  const header = parseHeader(headerHex);
  if (readUint32LE(header, 0) !== BOUND_VERSION) return null;
  const epoch = readUint32LE(header, 68);
  const expected = bindingCommitment(minter, epoch);
  const mine = expected.every((b, i) => b === header[4 + i]);
  return { epoch, mine };
}

export interface BoundProofContext {
  /** The identity claiming the credits (64 hex). */
  minter: string;
  /** The verifier's clock, ms. */
  now: number;
}

export interface BoundProofCheck extends ProofCheck {
  /** Set when the proof is valid work but not worth credits to this minter now. */
  code?: 'unbound' | 'stale';
}

/**
 * The check that mints credits: `verifyProof`, plus the header must be a work item bound to
 * `minter` in an epoch within [current − EPOCH_WINDOW, current] (current read at now + skew).
 * Never throws.
 */
export function verifyBoundProof(proof: unknown, ctx: BoundProofContext): BoundProofCheck {
  const base = verifyProof(proof);
  if (!base.valid) return base;
  const p = proof as PowProof;
  let binding: { epoch: number; mine: boolean } | null;
  try {
    binding = boundTo(p.header.toLowerCase(), ctx.minter);
  } catch (err) {
    return { valid: false, credits: 0, reason: err instanceof Error ? err.message : String(err) };
  }
  if (binding === null)
    return {
      valid: false,
      credits: 0,
      code: 'unbound',
      reason: 'not a bound work item (a public block header or foreign work): it commits to no INOS identity',
    };
  if (!binding.mine)
    return {
      valid: false,
      credits: 0,
      code: 'unbound',
      reason: `the work is bound to another identity, not to ${ctx.minter.slice(0, 12)}…`,
    };
  const header = parseHeader(p.header);
  if (readUint32LE(header, 72) !== p.bits)
    return {
      valid: false,
      credits: 0,
      reason: "the proof's bits differ from the bits its header commits to",
    };
  const current = epochOf(ctx.now + MAX_CLOCK_SKEW_MS);
  if (binding.epoch > current)
    return {
      valid: false,
      credits: 0,
      code: 'stale',
      reason: `epoch ${binding.epoch} is in the future (now ${current})`,
    };
  if (binding.epoch < current - EPOCH_WINDOW)
    return {
      valid: false,
      credits: 0,
      code: 'stale',
      reason: `epoch ${binding.epoch} is too old: epochs ${current - EPOCH_WINDOW}..${current} are accepted (EPOCH_MS ${EPOCH_MS})`,
    };
  return base;
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
