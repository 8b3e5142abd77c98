/** Shared by the pow tests: a seeded PRNG (print the seed on failure) and an independent reference hash. */
import { sha256 } from '@noble/hashes/sha2.js';
import { prng as floatPrng } from '../_prng.ts';
import { bytesToHex, withNonce } from '../../../src/capsules/pow/header.ts';

/** mulberry32 (tests/unit/_prng.ts) as uint32 words: the same sequence, scaled back from [0, 1). */
export function prng(seed: number): () => number {
  const next = floatPrng(seed);
  return () => (next() * 4294967296) >>> 0;
}

export function randomHeader(next: () => number): Uint8Array {
  const h = new Uint8Array(80);
  for (let i = 0; i < 80; i += 4) {
    const v = next();
    h[i] = v & 0xff;
    h[i + 1] = (v >>> 8) & 0xff;
    h[i + 2] = (v >>> 16) & 0xff;
    h[i + 3] = v >>> 24;
  }
  return h;
}

/** double-SHA256 by @noble/hashes, display order (byte-reversed hex). */
export function nobleDisplayHash(header: Uint8Array, nonce?: number): string {
  const h = nonce === undefined ? header : withNonce(header, nonce);
  return bytesToHex(sha256(sha256(h)).reverse());
}

/** The first nonce in [start, start+count) whose noble hash, as a number, is ≤ target (slow; small ranges). */
export function nobleFirstNonce(
  header: Uint8Array,
  start: number,
  count: number,
  target: bigint,
): number | null {
  for (let n = start; n < start + count; n++)
    if (BigInt('0x' + nobleDisplayHash(header, n)) <= target) return n;
  return null;
}

export const SEED = Number(process.env['POW_TEST_SEED'] ?? 0x5eed);
