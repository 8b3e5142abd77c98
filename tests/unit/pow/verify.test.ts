import { describe, expect, it } from 'vitest';
import { powVerify } from '../../../src/capsules/pow/verify.ts';
import { bytesToHex, withNonce, parseHeader } from '../../../src/capsules/pow/header.ts';
import { BLOCK_VECTORS } from '../../../src/capsules/pow/vectors.ts';
import { nobleDisplayHash } from './_helpers.ts';

describe('verify', () => {
  it.each(BLOCK_VECTORS)('accepts the real header of block $height', (v) => {
    expect(powVerify({ header: v.header, bits: v.bits })).toEqual({ valid: true, hash: v.hash });
    // Without bits or target, the header's own bits field is the target.
    expect(powVerify({ header: v.header })).toEqual({ valid: true, hash: v.hash });
    expect(
      powVerify({
        header: v.header,
        target: BigInt('0x' + v.hash)
          .toString(16)
          .padStart(64, '0'),
      }).valid,
    ).toBe(true);
  });

  it.each(BLOCK_VECTORS)('rejects block $height with a hash above its target (nonce + 1)', (v) => {
    const wrong = withNonce(parseHeader(v.header), v.nonce + 1);
    const r = powVerify({ header: bytesToHex(wrong), bits: v.bits });
    expect(r).toEqual({ valid: false, hash: nobleDisplayHash(wrong) });
  });

  it('rejects a real header against a target one below its hash, accepts at exactly its hash', () => {
    const v = BLOCK_VECTORS[4]!;
    const h = BigInt('0x' + v.hash);
    expect(powVerify({ header: v.header, target: (h - 1n).toString(16).padStart(64, '0') }).valid).toBe(
      false,
    );
    expect(powVerify({ header: v.header, target: h.toString(16).padStart(64, '0') }).valid).toBe(true);
  });

  it('rejects a header whose hash is above a harder compact target', () => {
    // Block 0 (difficulty 1) does not meet block 839900's target.
    expect(powVerify({ header: BLOCK_VECTORS[0]!.header, bits: 0x17034219 }).valid).toBe(false);
  });

  it.each([
    [undefined, TypeError, /params must be an object/],
    [[], TypeError, /params must be an object/],
    [{ header: 'ab' }, RangeError, /160 hex digits/],
    [{ header: BLOCK_VECTORS[0]!.header, bits: -1 }, RangeError, /unsigned 32-bit/],
    [{ header: BLOCK_VECTORS[0]!.header, bits: 0x04923456 }, RangeError, /sign bit/],
    [{ header: BLOCK_VECTORS[0]!.header, bits: 0xff123456 }, RangeError, /overflows/],
    [{ header: BLOCK_VECTORS[0]!.header, bits: 0 }, RangeError, /zero target/],
    [{ header: BLOCK_VECTORS[0]!.header, bits: 0x1d00ffff, target: 'f'.repeat(64) }, RangeError, /not both/],
    [{ header: BLOCK_VECTORS[0]!.header, nonce: 1 }, RangeError, /unknown parameter "nonce"/],
    [
      { header: '00'.repeat(72) + '00000000' + '00000000' },
      RangeError,
      /from the header's bits field.*zero target/,
    ],
  ])('rejects hostile params %#', (params, type, msg) => {
    expect(() => powVerify(params)).toThrow(type);
    expect(() => powVerify(params)).toThrow(msg);
  });
});
