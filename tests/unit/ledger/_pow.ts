/**
 * A minimal proof-of-work for the mint tests: Bitcoin-style double SHA-256 over an 80-byte header
 * at the easiest compact target (0x207fffff: about one hash in two meets it), so real proofs are
 * found in a few tries. The production checker is src/capsules/pow; this only has to be honest.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { PowProofRecord, ProofVerifier } from '../../../src/ledger/index.ts';
import { prng } from '../_prng.ts';

export const EASY_BITS = 0x207fffff;
/** What a test proof is worth; the real capsule derives it from `bits`. */
export const TEST_CREDITS = 1.5;

function target(bits: number): bigint {
  const size = bits >>> 24;
  const word = BigInt(bits & 0x7fffff);
  return size <= 3 ? word >> BigInt(8 * (3 - size)) : word << BigInt(8 * (size - 3));
}

function withNonce(header: Uint8Array, nonce: number): Uint8Array {
  const h = header.slice();
  new DataView(h.buffer).setUint32(76, nonce, true);
  return h;
}

/** Digest in display order (byte-reversed), as block explorers print it. */
function displayHash(header: Uint8Array): string {
  return bytesToHex(sha256(sha256(header)).reverse());
}

export function findProof(seed: number, bits = EASY_BITS): PowProofRecord {
  const rand = prng(seed);
  const header = Uint8Array.from({ length: 80 }, () => Math.floor(rand() * 256));
  new DataView(header.buffer).setUint32(72, bits, true);
  for (let nonce = 0; ; nonce++) {
    const h = withNonce(header, nonce);
    const hash = displayHash(h);
    if (BigInt(`0x${hash}`) <= target(bits)) return { header: bytesToHex(h), bits, nonce, hash };
  }
}

/** A proof whose hash is above the target: same header, the first nonce that fails. */
export function findFailingProof(seed: number, bits = EASY_BITS): PowProofRecord {
  const good = findProof(seed, bits);
  const header = hexToBytes(good.header);
  for (let nonce = 0; ; nonce++) {
    const hash = displayHash(withNonce(header, nonce));
    if (BigInt(`0x${hash}`) > target(bits))
      return { header: bytesToHex(withNonce(header, nonce)), bits, nonce, hash };
  }
}

export const testVerify: ProofVerifier = (p) => {
  if (!/^[0-9a-f]{160}$/.test(p.header)) return { valid: false, credits: 0, reason: 'bad header' };
  const hash = displayHash(withNonce(hexToBytes(p.header), p.nonce));
  if (hash !== p.hash) return { valid: false, credits: 0, hash, reason: 'hash mismatch' };
  if (BigInt(`0x${hash}`) > target(p.bits))
    return { valid: false, credits: 0, hash, reason: 'hash is above the target' };
  return { valid: true, credits: TEST_CREDITS, hash };
};
