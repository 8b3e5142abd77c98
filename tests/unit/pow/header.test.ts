import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  headerBits,
  headerNonce,
  headerWords,
  parseHeader,
  withNonce,
} from '../../../src/capsules/pow/header.ts';
import { BLOCK_VECTORS } from '../../../src/capsules/pow/vectors.ts';

const genesis = BLOCK_VECTORS[0]!;

describe('parseHeader', () => {
  it('round-trips the wire bytes, either case', () => {
    expect(bytesToHex(parseHeader(genesis.header))).toBe(genesis.header);
    expect(bytesToHex(parseHeader(genesis.header.toUpperCase()))).toBe(genesis.header);
  });

  it('reads bits and the little-endian nonce from the last 8 bytes', () => {
    const h = parseHeader(genesis.header);
    expect(headerBits(h)).toBe(0x1d00ffff);
    expect(headerNonce(h)).toBe(2083236893);
    expect(headerNonce(withNonce(h, 0xdeadbeef))).toBe(0xdeadbeef);
    expect(bytesToHex(withNonce(h, 0x01020304).subarray(76))).toBe('04030201');
    expect(headerNonce(h)).toBe(2083236893); // withNonce copies
  });

  it('gives SHA-256 its big-endian words', () => {
    const w = headerWords(parseHeader(genesis.header));
    expect(w[0]).toBe(0x01000000);
    expect(w[19]).toBe(0x1dac2b7c);
  });

  it.each([
    [genesis.header.slice(2), RangeError, /160 hex digits.*got 158/],
    [genesis.header + '00', RangeError, /got 162/],
    ['', RangeError, /got 0/],
    ['zz' + genesis.header.slice(2), RangeError, /only hex digits/],
    [' ' + genesis.header.slice(1), RangeError, /only hex digits/],
    [12, TypeError, /expected a string/],
    [null, TypeError, /expected a string/],
    [new Uint8Array(80), TypeError, /expected a string/],
  ])('rejects %#', (input, type, msg) => {
    expect(() => parseHeader(input)).toThrow(type);
    expect(() => parseHeader(input)).toThrow(msg);
  });
});
