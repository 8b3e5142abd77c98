import { describe, expect, it } from 'vitest';
import {
  HASHES_PER_CREDIT,
  proofCredits,
  proofFromSearch,
  verifyProof,
  type PowProof,
} from '../../../src/capsules/pow/proof.ts';
import { parseSearchParams } from '../../../src/capsules/pow/job.ts';
import { searchCpu } from '../../../src/capsules/pow/search-cpu.ts';
import { BLOCK_VECTORS } from '../../../src/capsules/pow/vectors.ts';
import { bytesToHex } from '../../../src/capsules/pow/header.ts';
import { SEED, prng, randomHeader } from './_helpers.ts';

const realProof = (i: number): PowProof => {
  const v = BLOCK_VECTORS[i]!;
  return { header: v.header, nonce: v.nonce, bits: v.bits, hash: v.hash };
};

describe('proofs', () => {
  it('credits = expected hashes / HASHES_PER_CREDIT, so proportional to difficulty', () => {
    // Bitcoin difficulty 1 (0x1d00ffff) takes 2^256 / (0xffff·2^208 + 1) = 0x100010001 hashes on average.
    expect(proofCredits(0x1d00ffff)).toBeCloseTo(0x100010001 / HASHES_PER_CREDIT, 6);
    expect(proofCredits(0x207fffff)).toBe(2 / HASHES_PER_CREDIT);
    // Difficulty 14484.16 (block 100000) is worth 14484.16 × difficulty 1.
    expect(proofCredits(0x1b04864c) / proofCredits(0x1d00ffff)).toBeCloseTo(14484.1623612254, 3);
    // Halving the target (0x1c7fff80 = 0x1d00ffff / 2) doubles the credits.
    expect(proofCredits(0x1c7fff80) / proofCredits(0x1d00ffff)).toBeCloseTo(2, 4);
  });

  it.each(BLOCK_VECTORS.map((_, i) => i))('real block header %# is a valid proof', (i) => {
    const r = verifyProof(realProof(i));
    expect(r.valid).toBe(true);
    expect(r.credits).toBeCloseTo(proofCredits(BLOCK_VECTORS[i]!.bits), 9);
  });

  it('a proof minted from a search verifies', () => {
    const header = randomHeader(prng(SEED + 20));
    const job = parseSearchParams({
      header: bytesToHex(header),
      nonceStart: 0,
      count: 1_000_000,
      bits: 0x1f00ffff,
    });
    const proof = proofFromSearch(job, searchCpu(job));
    expect(verifyProof(proof)).toMatchObject({ valid: true });
    expect(() =>
      proofFromSearch(job, { found: false, nonce: null, hash: null, hashes: 5, stopped: null }),
    ).toThrow(/found no nonce/);
    const byTarget = parseSearchParams({
      header: bytesToHex(header),
      nonceStart: 0,
      count: 1000,
      target: 'f'.repeat(64),
    });
    expect(() => proofFromSearch(byTarget, searchCpu(byTarget))).toThrow(/compact target/);
  });

  it.each([
    ['a wrong nonce', { nonce: BLOCK_VECTORS[2]!.nonce + 1 }, /hash mismatch/],
    ['a claimed hash that is not the header’s', { hash: BLOCK_VECTORS[1]!.hash }, /hash mismatch/],
    ['a harder target than the hash meets', { bits: 0x17034219 }, /above the target/],
    ['hostile bits', { bits: 0x04923456 }, /sign bit/],
    ['a nonce out of range', { nonce: 2 ** 32 }, /unsigned 32-bit/],
    ['a short header', { header: 'abcd' }, /160 hex digits/],
    ['a missing hash', { hash: undefined }, /proof.hash/],
  ])('rejects %s without throwing', (_what, patch, reason) => {
    const r = verifyProof({ ...realProof(2), ...patch });
    expect(r.valid).toBe(false);
    expect(r.credits).toBe(0);
    expect(r.reason).toMatch(reason);
  });

  it('rejects non-objects', () => {
    expect(verifyProof(null)).toMatchObject({ valid: false, credits: 0 });
    expect(verifyProof('proof')).toMatchObject({ valid: false, credits: 0 });
  });

  it('accepts the claimed hash in either case', () => {
    expect(verifyProof({ ...realProof(0), hash: BLOCK_VECTORS[0]!.hash.toUpperCase() }).valid).toBe(true);
  });
});
