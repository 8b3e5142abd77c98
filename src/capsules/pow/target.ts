/**
 * Targets: a hash meets a target when the double-SHA256 digest, read as a little-endian 256-bit
 * number (the "display order" hex, byte-reversed), is ≤ the target. Compact `bits` follow Bitcoin
 * Core's `arith_uint256::SetCompact` (src/arith_uint256.cpp): an 8-bit byte-length exponent and a
 * 23-bit mantissa with a sign bit, so hostile values can be negative, zero or overflow 256 bits;
 * all three are rejected with a RangeError, as `CheckProofOfWork` rejects them.
 */

const TWO_256 = 1n << 256n;
/** Difficulty-1 target, compact 0x1d00ffff (Bitcoin's genesis target). */
export const DIFF1_TARGET = 0xffffn << 208n;

/** Decodes a compact target. Throws TypeError/RangeError for anything a consensus check would reject. */
export function compactToTarget(bits: unknown, label = 'bits'): bigint {
  if (typeof bits !== 'number')
    throw new TypeError(
      `${label}: expected a number (compact target such as 0x1d00ffff), got ${typeof bits}`,
    );
  if (!Number.isInteger(bits) || bits < 0 || bits > 0xffffffff) {
    throw new RangeError(`${label}: expected an unsigned 32-bit integer, got ${bits}`);
  }
  const size = bits >>> 24;
  const word = bits & 0x007fffff;
  if (word === 0)
    throw new RangeError(`${label}: 0x${hex8(bits)} encodes a zero target, which no hash can meet`);
  if ((bits & 0x00800000) !== 0)
    throw new RangeError(`${label}: 0x${hex8(bits)} has the sign bit set (a negative target)`);
  if (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32)) {
    throw new RangeError(`${label}: 0x${hex8(bits)} overflows 256 bits`);
  }
  const target = size <= 3 ? BigInt(word >>> (8 * (3 - size))) : BigInt(word) << BigInt(8 * (size - 3));
  // A mantissa shifted right by a tiny exponent can still vanish (e.g. 0x01003456).
  if (target === 0n)
    throw new RangeError(`${label}: 0x${hex8(bits)} encodes a zero target, which no hash can meet`);
  return target;
}

/** Encodes a target in compact form, rounding down like Bitcoin Core's `GetCompact`. */
export function targetToCompact(target: bigint): number {
  assertTarget(target);
  let size = Math.ceil(target.toString(16).length / 2);
  let word = size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  if (word & 0x00800000) {
    word >>>= 8;
    size += 1;
  }
  return ((size << 24) | word) >>> 0;
}

/** Parses a 64-hex-digit target written most significant byte first (display order). */
export function parseTargetHex(hex: unknown, label = 'target'): bigint {
  if (typeof hex !== 'string')
    throw new TypeError(`${label}: expected a string of 64 hex digits, got ${typeof hex}`);
  if (hex.length !== 64 || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new RangeError(
      `${label}: expected 64 hex digits, most significant first, got ${JSON.stringify(hex.slice(0, 80))}`,
    );
  }
  const target = BigInt('0x' + hex);
  if (target === 0n) throw new RangeError(`${label}: a zero target can never be met`);
  return target;
}

export function targetToHex(target: bigint): string {
  return target.toString(16).padStart(64, '0');
}

/** Splits a target into 8 words, most significant first, for word-wise comparison. */
export function targetToWords(target: bigint, out: Uint32Array = new Uint32Array(8)): Uint32Array {
  assertTarget(target);
  for (let i = 0; i < 8; i++) out[i] = Number((target >> BigInt(32 * (7 - i))) & 0xffffffffn);
  return out;
}

/**
 * True when a SHA-256 digest (state words H0..H7, as the compression function leaves them) meets
 * the target. The digest's bytes are H0..H7 big-endian; read little-endian, its most significant
 * word is bswap(H7), then bswap(H6), and so on.
 */
export function digestMeetsTarget(digest: Uint32Array, targetWords: Uint32Array): boolean {
  for (let i = 0; i < 8; i++) {
    const h = bswap32(digest[7 - i]!);
    const t = targetWords[i]!;
    if (h !== t) return h < t;
  }
  return true;
}

/** Bitcoin's difficulty: DIFF1_TARGET / target, as a float (≈ expected hashes / 2^32). */
export function difficulty(target: bigint): number {
  assertTarget(target);
  // Scale to keep 53 bits of precision in the quotient for any target.
  const scaled = (DIFF1_TARGET << 64n) / target;
  return Number(scaled) / 2 ** 64;
}

/** Expected double-SHA256 evaluations to meet `target`: floor(2^256 / (target + 1)), Bitcoin Core's `GetBlockProof`. */
export function expectedHashes(target: bigint): bigint {
  assertTarget(target);
  return TWO_256 / (target + 1n);
}

export function bswap32(x: number): number {
  return ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

function assertTarget(target: bigint): void {
  if (target <= 0n || target >= TWO_256)
    throw new RangeError(`target: must be in 1 .. 2^256-1, got ${target}`);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
