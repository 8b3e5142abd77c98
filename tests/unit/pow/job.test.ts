import { describe, expect, it } from 'vitest';
import { parseSearchParams } from '../../../src/capsules/pow/job.ts';
import { BLOCK_VECTORS } from '../../../src/capsules/pow/vectors.ts';

const header = BLOCK_VECTORS[0]!.header;

describe('search params', () => {
  it('accepts bits, a hex target, or the header’s own bits', () => {
    expect(parseSearchParams({ header, nonceStart: 0, count: 1, bits: 0x1d00ffff }).bits).toBe(0x1d00ffff);
    expect(
      parseSearchParams({ header, nonceStart: 0, count: 1, target: '0'.repeat(8) + 'f'.repeat(56) }).bits,
    ).toBeNull();
    expect(parseSearchParams({ header, nonceStart: 0, count: 1 }).bits).toBe(0x1d00ffff);
    expect(parseSearchParams({ header, nonceStart: 2 ** 32 - 1, count: 1, bits: 0x1d00ffff }).count).toBe(1);
    expect(parseSearchParams({ header, nonceStart: 0, count: 2 ** 32, bits: 0x1d00ffff }).count).toBe(
      2 ** 32,
    );
  });

  it.each([
    [{ header, count: 1 }, TypeError, /nonceStart: expected a number/],
    [{ header, nonceStart: '0', count: 1 }, TypeError, /nonceStart/],
    [{ header, nonceStart: -1, count: 1 }, RangeError, /nonceStart: expected an integer/],
    [{ header, nonceStart: 2 ** 32, count: 1 }, RangeError, /nonceStart/],
    [{ header, nonceStart: 0.5, count: 1 }, RangeError, /nonceStart/],
    [{ header, nonceStart: NaN, count: 1 }, RangeError, /nonceStart/],
    [{ header, nonceStart: 0, count: 0 }, RangeError, /count: must be at least 1/],
    [{ header, nonceStart: 0, count: 2 ** 32 + 1 }, RangeError, /count/],
    [{ header, nonceStart: 10, count: 2 ** 32 - 9 }, RangeError, /within the 32-bit nonce space/],
    [{ header, nonceStart: 0, count: Infinity }, RangeError, /count/],
    [{ header, nonceStart: 0, count: 1, bits: 0x1d00ffff, target: 'f'.repeat(64) }, RangeError, /not both/],
    [{ header, nonceStart: 0, count: 1, bits: '0x1d00ffff' }, TypeError, /bits: expected a number/],
    [{ header, nonceStart: 0, count: 1, target: 'f'.repeat(60) }, RangeError, /64 hex digits/],
    [
      { header, nonceStart: 0, count: 1, __proto__: { x: 1 }, extra: 1 },
      RangeError,
      /unknown parameter "extra"/,
    ],
    [{ header: header.slice(0, 158) + 'g0', nonceStart: 0, count: 1 }, RangeError, /only hex digits/],
    [null, TypeError, /params must be an object/],
    ['{"header": "00"}', TypeError, /params must be an object/],
  ])('rejects %#', (params, type, msg) => {
    expect(() => parseSearchParams(params)).toThrow(type);
    expect(() => parseSearchParams(params)).toThrow(msg);
  });
});
