import { describe, expect, it } from 'vitest';
import { BLOCK_VECTORS } from '../../../src/capsules/pow/vectors.ts';
import { HeaderHasher, digestDisplayHex } from '../../../src/capsules/pow/dsha256.ts';
import { headerBits, headerNonce, parseHeader } from '../../../src/capsules/pow/header.ts';
import { compactToTarget } from '../../../src/capsules/pow/target.ts';
import { nobleDisplayHash } from './_helpers.ts';

// The vectors are only trustworthy if an independent SHA-256 reproduces the published block hash
// AND the hash meets the header's own target (which no one can forge without the work).
describe('block header vectors', () => {
  it.each(BLOCK_VECTORS)('block $height: noble hash = published hash, ≤ target, fields agree', (v) => {
    const header = parseHeader(v.header);
    expect(nobleDisplayHash(header)).toBe(v.hash);
    expect(BigInt('0x' + v.hash) <= compactToTarget(v.bits)).toBe(true);
    expect(headerBits(header)).toBe(v.bits);
    expect(headerNonce(header)).toBe(v.nonce);
    expect(digestDisplayHex(new HeaderHasher(header).hashNonce(v.nonce))).toBe(v.hash);
  });

  it('includes a recent high-difficulty block (≥ 76 leading zero bits)', () => {
    const hardest = BLOCK_VECTORS.reduce((a, b) =>
      compactToTarget(a.bits) < compactToTarget(b.bits) ? a : b,
    );
    expect(hardest.height).toBeGreaterThanOrEqual(800000);
    expect(hardest.hash.startsWith('0'.repeat(19))).toBe(true);
  });
});
