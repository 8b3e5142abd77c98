import { describe, expect, it } from 'vitest';
import {
  DIFF1_TARGET,
  compactToTarget,
  difficulty,
  digestMeetsTarget,
  expectedHashes,
  parseTargetHex,
  targetToCompact,
  targetToHex,
  targetToWords,
} from '../../../src/capsules/pow/target.ts';

describe('compact targets (Bitcoin Core SetCompact)', () => {
  it('decodes known targets', () => {
    expect(compactToTarget(0x1d00ffff)).toBe(DIFF1_TARGET);
    expect(targetToHex(compactToTarget(0x1b04864c))).toBe('0000000000' + '04864c' + '0'.repeat(48));
    expect(compactToTarget(0x207fffff)).toBe(0x7fffffn << 232n);
    expect(compactToTarget(0x03123456)).toBe(0x123456n);
    expect(compactToTarget(0x02123456)).toBe(0x1234n);
    expect(compactToTarget(0x01120000)).toBe(0x12n);
  });

  it('re-encodes like GetCompact', () => {
    for (const bits of [0x1d00ffff, 0x1b04864c, 0x1a44b9f2, 0x17034219, 0x207fffff, 0x03123456]) {
      expect(targetToCompact(compactToTarget(bits))).toBe(bits);
    }
    // 0x80 as the mantissa's top byte would read as the sign bit: GetCompact shifts it out.
    expect(targetToCompact(0x80n)).toBe(0x02008000);
  });

  it.each([
    [0x04923456, /sign bit/],
    [0x01810000, /sign bit/],
    [0x01800000, /zero target/], // sign bit on a zero mantissa: SetCompact calls it zero, not negative
    [0x1d000000, /zero target/],
    [0x00000000, /zero target/],
    [0x01003456, /zero target/],
    [0xff123456, /overflows/],
    [0x23000001, /overflows/],
    [0x22000100, /overflows/],
    [0x21010000, /overflows/],
  ])('rejects hostile bits %#', (bits, msg) => {
    expect(() => compactToTarget(bits)).toThrow(RangeError);
    expect(() => compactToTarget(bits)).toThrow(msg);
  });

  it('accepts the largest non-overflowing encodings', () => {
    expect(compactToTarget(0x22000001)).toBe(1n << 248n);
    expect(compactToTarget(0x2100ffff)).toBe(0xffffn << 240n);
  });

  it.each([-1, 2 ** 32, 1.5, NaN, Infinity])('rejects non-uint32 bits %s', (bits) => {
    expect(() => compactToTarget(bits)).toThrow(RangeError);
  });

  it.each(['0x1d00ffff', null, undefined, 486604799n, {}])('rejects bits of the wrong type (%s)', (bits) => {
    expect(() => compactToTarget(bits)).toThrow(TypeError);
  });
});

describe('hex targets', () => {
  it('parses 64 hex digits, most significant first', () => {
    expect(parseTargetHex('00000000ffff' + '0'.repeat(52))).toBe(DIFF1_TARGET);
    expect(parseTargetHex('F'.repeat(64))).toBe((1n << 256n) - 1n);
  });
  it.each([
    ['0'.repeat(64), /zero/],
    ['f'.repeat(63), /64 hex/],
    ['g'.repeat(64), /64 hex/],
    ['f'.repeat(65), /64 hex/],
  ])('rejects %s', (hex, msg) => expect(() => parseTargetHex(hex)).toThrow(msg));
  it('rejects non-strings', () => expect(() => parseTargetHex(123)).toThrow(TypeError));
});

describe('difficulty and work', () => {
  it('difficulty 1 at 0x1d00ffff, ~14484.16 at block 100000 (0x1b04864c)', () => {
    expect(difficulty(DIFF1_TARGET)).toBe(1);
    expect(difficulty(compactToTarget(0x1b04864c))).toBeCloseTo(14484.1623612254, 6);
  });
  it('expected hashes: 2^256 / (target + 1)', () => {
    expect(expectedHashes((1n << 256n) - 1n)).toBe(1n);
    expect(expectedHashes(compactToTarget(0x207fffff))).toBe(2n);
    expect(expectedHashes(DIFF1_TARGET)).toBe(0x100010001n);
  });
});

describe('digestMeetsTarget', () => {
  // Digest words H0..H7; read little-endian, the most significant word is bswap(H7).
  const digestOf = (displayHex: string): Uint32Array => {
    const bytes = Uint8Array.from(displayHex.match(/../g)!.map((b) => parseInt(b, 16))).reverse();
    return Uint32Array.from(
      { length: 8 },
      (_, i) =>
        ((bytes[i * 4]! << 24) | (bytes[i * 4 + 1]! << 16) | (bytes[i * 4 + 2]! << 8) | bytes[i * 4 + 3]!) >>>
        0,
    );
  };
  it('compares as a 256-bit number, hash ≤ target', () => {
    const t = 0x00000000ffff0000000000000000000000000000000000000000000000000000n;
    const w = targetToWords(t);
    expect(digestMeetsTarget(digestOf(targetToHex(t)), w)).toBe(true);
    expect(digestMeetsTarget(digestOf(targetToHex(t - 1n)), w)).toBe(true);
    expect(digestMeetsTarget(digestOf(targetToHex(t + 1n)), w)).toBe(false);
    expect(digestMeetsTarget(digestOf(targetToHex(1n << 255n)), w)).toBe(false);
  });
});
