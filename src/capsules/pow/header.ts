/**
 * The 80-byte block header as it is serialised on the wire (Bitcoin's layout, which this
 * proof-of-work reuses so real historical headers serve as known-answer vectors):
 *
 * | offset | bytes | field                          | encoding      |
 * |-------:|------:|--------------------------------|---------------|
 * |      0 |     4 | version                        | little-endian |
 * |      4 |    32 | previous header hash           | internal order|
 * |     36 |    32 | merkle root                    | internal order|
 * |     68 |     4 | time                           | little-endian |
 * |     72 |     4 | bits (compact target)          | little-endian |
 * |     76 |     4 | nonce                          | little-endian |
 *
 * SHA-256 reads the header as 20 big-endian words: words 0..15 are the first block (hashed once
 * per job into the midstate), words 16..19 open the second block, word 19 being the nonce.
 */

export const HEADER_BYTES = 80;
export const HEADER_HEX_CHARS = HEADER_BYTES * 2;
/** Byte offset of the compact target and of the nonce inside the header. */
export const BITS_OFFSET = 72;
export const NONCE_OFFSET = 76;
/** The largest nonce plus one: nonces are 32-bit. */
export const NONCE_SPACE = 0x1_0000_0000;

const HEX_RE = /^[0-9a-fA-F]*$/;

/** Parses `hex` (160 hex digits, either case) into the 80 header bytes. */
export function parseHeader(hex: unknown, label = 'header'): Uint8Array {
  if (typeof hex !== 'string') {
    throw new TypeError(`${label}: expected a string of ${HEADER_HEX_CHARS} hex digits, got ${typeof hex}`);
  }
  if (hex.length !== HEADER_HEX_CHARS) {
    throw new RangeError(
      `${label}: expected ${HEADER_HEX_CHARS} hex digits (the ${HEADER_BYTES}-byte header as serialised on the wire), got ${hex.length}`,
    );
  }
  if (!HEX_RE.test(hex)) {
    throw new RangeError(`${label}: only hex digits 0-9, a-f are allowed`);
  }
  return hexToBytes(hex);
}

/** Reads the header's 20 big-endian SHA-256 message words into `out` (length ≥ 20). */
export function headerWords(header: Uint8Array, out: Uint32Array = new Uint32Array(20)): Uint32Array {
  for (let i = 0; i < 20; i++) {
    const o = i * 4;
    out[i] = ((header[o]! << 24) | (header[o + 1]! << 16) | (header[o + 2]! << 8) | header[o + 3]!) >>> 0;
  }
  return out;
}

export function readUint32LE(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>>
    0
  );
}

export function writeUint32LE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

/** The header's own compact target (bytes 72..75). */
export function headerBits(header: Uint8Array): number {
  return readUint32LE(header, BITS_OFFSET);
}

/** The header's nonce (bytes 76..79, little-endian). */
export function headerNonce(header: Uint8Array): number {
  return readUint32LE(header, NONCE_OFFSET);
}

/** A copy of `header` with its nonce replaced. */
export function withNonce(header: Uint8Array, nonce: number): Uint8Array {
  const copy = header.slice();
  writeUint32LE(copy, NONCE_OFFSET, nonce);
  return copy;
}

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const HEX_DIGITS = '0123456789abcdef';

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    s += HEX_DIGITS[b >>> 4]! + HEX_DIGITS[b & 15]!;
  }
  return s;
}
