/**
 * Scalar double-SHA256 of an 80-byte header with a precomputed midstate (FIPS 180-4 §6.2).
 *
 * The first 64 header bytes never change during a nonce search, so their compression (the
 * midstate) is done once per job; each nonce then costs two compressions: the second header
 * block (16 bytes of header + padding, nonce in word 3) and the outer hash of the 32-byte digest.
 *
 * This is the reference path (verification, confirming candidates, and the fallback where
 * WebAssembly SIMD is missing). All buffers are preallocated: `hashNonce` allocates nothing.
 * Measured in Node 20 on the 2-core EPYC dev box: ~1.3 MH/s with the rolled loops below; the
 * fully unrolled generated version reached ~2.0 MH/s but would need `new Function` (forbidden by
 * MV3's CSP) or a few hundred committed lines, and the SIMD path (dsha256-simd.ts) beats both.
 */
import { headerWords } from './header.ts';
import { bswap32 } from './target.ts';

export const SHA256_K = Uint32Array.of(
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
);

export const SHA256_IV = Uint32Array.of(
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
);

/** Second-block padding: 0x80 after 80 bytes, then the message length in bits (640). */
export const PAD_80 = 0x80000000;
export const LEN_80_BITS = 640;
/** Outer-hash padding for a 32-byte message (256 bits). */
export const LEN_32_BITS = 256;

const K = new Int32Array(SHA256_K.buffer);

/**
 * One SHA-256 compression: `state` (8 words) absorbs `w[0..15]`; `w` (64 words) is used as the
 * message schedule and overwritten from index 16 on.
 */
export function compress(state: Int32Array, w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (s1 + w[i - 7]! + s0 + w[i - 16]!) | 0;
  }
  let a = state[0]!,
    b = state[1]!,
    c = state[2]!,
    d = state[3]!;
  let e = state[4]!,
    f = state[5]!,
    g = state[6]!,
    h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + (g ^ (e & (f ^ g))) + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) | (c & (a | b)))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/** The SHA-256 state after the header's first 64 bytes (the midstate). */
export function midstate(words: Uint32Array, out: Uint32Array = new Uint32Array(8)): Uint32Array {
  const st = new Int32Array(SHA256_IV);
  const w = new Int32Array(64);
  for (let i = 0; i < 16; i++) w[i] = words[i]! | 0;
  compress(st, w);
  out.set(new Uint32Array(st.buffer));
  return out;
}

/** Double-SHA256 of one header at any nonce, with all buffers allocated once per header. */
export class HeaderHasher {
  /** The 20 big-endian message words of the header (word 19, the nonce, is rewritten per call). */
  readonly words: Uint32Array;
  readonly mid: Uint32Array;
  private readonly w = new Int32Array(64);
  private readonly st = new Int32Array(8);
  private readonly midI: Int32Array;
  private readonly out = new Uint32Array(8);

  constructor(header: Uint8Array) {
    this.words = headerWords(header);
    this.mid = midstate(this.words);
    this.midI = new Int32Array(this.mid.buffer);
  }

  /**
   * The final SHA-256 state words H0..H7 of double-SHA256(header with `nonce`). The returned
   * array is reused by the next call: copy it to keep it.
   */
  hashNonce(nonce: number): Uint32Array {
    const w = this.w;
    const st = this.st;
    const words = this.words;
    w[0] = words[16]! | 0;
    w[1] = words[17]! | 0;
    w[2] = words[18]! | 0;
    w[3] = bswap32(nonce) | 0;
    w[4] = PAD_80 | 0;
    w.fill(0, 5, 15);
    w[15] = LEN_80_BITS;
    st.set(this.midI);
    compress(st, w);
    for (let i = 0; i < 8; i++) w[i] = st[i]!;
    w[8] = PAD_80 | 0;
    w.fill(0, 9, 15);
    w[15] = LEN_32_BITS;
    for (let i = 0; i < 8; i++) st[i] = SHA256_IV[i]! | 0;
    compress(st, w);
    const out = this.out;
    for (let i = 0; i < 8; i++) out[i] = st[i]! >>> 0;
    return out;
  }
}

/** The 32 digest bytes in SHA-256's own order (H0 big-endian first). */
export function digestBytes(digest: Uint32Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = digest[i]!;
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = (v >>> 16) & 0xff;
    out[i * 4 + 2] = (v >>> 8) & 0xff;
    out[i * 4 + 3] = v & 0xff;
  }
  return out;
}

/** The digest as block explorers print it: byte-reversed, so leading zeros come first. */
export function digestDisplayHex(digest: Uint32Array): string {
  let s = '';
  for (let i = 7; i >= 0; i--) s += bswap32(digest[i]!).toString(16).padStart(8, '0');
  return s;
}
