/**
 * ChaCha20 (RFC 8439 §2.4) and Poly1305 (§2.5) as a generated WebAssembly module: ChaCha20 computes
 * 4 blocks at once, one block per i32x4 lane (the 16 state words are 16 v128 locals, rotations by 16
 * and 8 are byte shuffles), then transposes the lanes into 4 consecutive 64-byte blocks and XORs them
 * into the data. Poly1305 is the 32-bit-limb algorithm (5 limbs of 26 bits, 64-bit products) on i64
 * scalars: WebAssembly has no 64×64→128 multiply.
 *
 * Why generated WASM: noble's pure-JS ChaCha20 + Poly1305 ran at 0.025–0.04× OpenSSL
 * (`openssl speed -evp chacha20-poly1305`); libsodium-wrappers 0.7.15 (its WebAssembly build) measured
 * 63 MB/s on 1 MiB here. The bytes are generated like the proof-of-work kernel's (../pow/_wasm.ts):
 * no prebuilt binary, `WebAssembly.Module` of local bytes under the 'wasm-unsafe-eval' CSP source.
 * The module is < 4 KiB, so Chrome compiles it synchronously even on a document's main thread.
 *
 * Memory (one 64 KiB page + DATA_BYTES): bytes 0..63 the ChaCha20 state words 0..15 (word 12, the
 * counter, is passed to `xor` instead); 64..103 Poly1305's r as 5 i64 limbs; 128..167 the accumulator
 * h as 5 i64 limbs; DATA.. DATA + DATA_BYTES + 256 the data (256 bytes of slack: `xor` always writes
 * whole groups of 4 blocks).
 * Exports: `xor(ptr, blocks, counter)` XORs the keystream of blocks counter .. counter+blocks−1 into
 * memory at ptr; `mac(ptr, blocks)` absorbs `blocks` 16-byte blocks at ptr (each with the 2^128 bit).
 */
import { ByteWriter, I32, OP, SIMD, V128 } from '../pow/_wasm.ts';

const I64 = 0x7e;
const OPS = {
  i32_load: 0x28,
  i64_load: 0x29,
  i64_load32_u: 0x35,
  i64_store: 0x37,
  i64_const: 0x42,
  i32_le_s: 0x4c,
  i32_sub: 0x6b,
  i64_add: 0x7c,
  i64_mul: 0x7e,
  i64_and: 0x83,
  i64_or: 0x84,
  i64_shr_u: 0x88,
  br: 0x0c,
} as const;
const V = { load: 0x00, store: 0x0b, load32_splat: 0x09 } as const;

export const STATE = 0;
export const POLY_R = 64;
export const POLY_H = 128;
export const DATA = 256;
/** Bytes handled per call; a multiple of 256 (4 ChaCha20 blocks). */
export const DATA_BYTES = 64 << 10;

const ROTL16 = [2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13];
const ROTL8 = [3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14];

function chachaBody(): { body: ByteWriter; i32s: number; v128s: number } {
  const b = new ByteWriter();
  const PTR = 0,
    BLOCKS = 1,
    CTR = 2,
    ROUND = 3;
  const X = 4, // x0..x15 at 4..19
    T = 20; // transpose temporaries at 20..23
  const get = (l: number): void => void b.byte(OP.local_get).u32(l);
  const set = (l: number): void => void b.byte(OP.local_set).u32(l);
  const i32c = (n: number): void => void b.byte(OP.i32_const).s32(n);
  const splat = (word: number): void => {
    i32c(0);
    b.simd(V.load32_splat)
      .u32(2)
      .u32(STATE + word * 4);
  };
  const shuffle = (lanes: number[]): void => void b.simd(SIMD.i8x16_shuffle).bytes(lanes);
  const rotl = (l: number, n: number): void => {
    get(l);
    if (n === 16 || n === 8) {
      get(l);
      shuffle(n === 16 ? ROTL16 : ROTL8);
    } else {
      i32c(n);
      b.simd(SIMD.i32x4_shl);
      get(l);
      i32c(32 - n);
      b.simd(SIMD.i32x4_shr_u).simd(SIMD.v128_or);
    }
    set(l);
  };
  // x[a] += x[bb]; x[d] ^= x[a]; x[d] <<<= r
  const step = (a: number, bb: number, d: number, r: number): void => {
    get(X + a);
    get(X + bb);
    b.simd(SIMD.i32x4_add);
    b.byte(OP.local_tee).u32(X + a);
    get(X + d);
    b.simd(SIMD.v128_xor);
    set(X + d);
    rotl(X + d, r);
  };
  // Four independent quarter rounds, interleaved step by step: V8 emits instructions in this order,
  // so interleaving gives the CPU four dependency chains to overlap instead of one.
  const round = (qrs: readonly (readonly [number, number, number, number])[]): void => {
    for (const [a, bb, , d] of qrs) step(a, bb, d, 16);
    for (const [, bb, c, d] of qrs) step(c, d, bb, 12);
    for (const [a, bb, , d] of qrs) step(a, bb, d, 8);
    for (const [, bb, c, d] of qrs) step(c, d, bb, 7);
  };
  const counterLanes = (): void => {
    get(CTR);
    b.simd(SIMD.i32x4_splat);
    b.simd(SIMD.v128_const).bytes([0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
    b.simd(SIMD.i32x4_add);
  };

  b.byte(OP.block).byte(OP.void).byte(OP.loop).byte(OP.void);
  get(BLOCKS);
  i32c(0);
  b.byte(OPS.i32_le_s).byte(OP.br_if).u32(1);
  // Word 12 is the counter: counter + (0, 1, 2, 3) across the lanes (recomputed, not kept live).
  for (let w = 0; w < 16; w++) {
    if (w === 12) counterLanes();
    else splat(w);
    set(X + w);
  }
  i32c(10);
  set(ROUND);
  b.byte(OP.block).byte(OP.void).byte(OP.loop).byte(OP.void);
  round([
    [0, 4, 8, 12],
    [1, 5, 9, 13],
    [2, 6, 10, 14],
    [3, 7, 11, 15],
  ]);
  round([
    [0, 5, 10, 15],
    [1, 6, 11, 12],
    [2, 7, 8, 13],
    [3, 4, 9, 14],
  ]);
  get(ROUND);
  i32c(1);
  b.byte(OPS.i32_sub).byte(OP.local_tee).u32(ROUND);
  b.byte(OP.br_if).u32(0);
  b.byte(OP.end).byte(OP.end);
  for (let w = 0; w < 16; w++) {
    get(X + w);
    if (w === 12) counterLanes();
    else splat(w);
    b.simd(SIMD.i32x4_add);
    set(X + w);
  }
  // Transpose each group of 4 words (lanes = blocks) into 16-byte rows of the 4 blocks and XOR.
  for (let g = 0; g < 4; g++) {
    const x = (k: number): number => X + 4 * g + k;
    const pair = (p: number, q: number, lanes: number[], to: number): void => {
      get(p);
      get(q);
      shuffle(lanes.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]));
      set(to);
    };
    pair(x(0), x(1), [0, 4, 1, 5], T); // w0b0 w1b0 w0b1 w1b1
    pair(x(2), x(3), [0, 4, 1, 5], T + 1); // w2b0 w3b0 w2b1 w3b1
    pair(x(0), x(1), [2, 6, 3, 7], T + 2); // w0b2 w1b2 w0b3 w1b3
    pair(x(2), x(3), [2, 6, 3, 7], T + 3);
    for (let blk = 0; blk < 4; blk++) {
      const off = blk * 64 + g * 16;
      get(PTR);
      get(PTR);
      b.simd(V.load).u32(0).u32(off);
      get(T + (blk < 2 ? 0 : 2));
      get(T + (blk < 2 ? 1 : 3));
      shuffle(
        (blk % 2 === 0 ? [0, 1, 4, 5] : [2, 3, 6, 7]).flatMap((l) => [
          l * 4,
          l * 4 + 1,
          l * 4 + 2,
          l * 4 + 3,
        ]),
      );
      b.simd(SIMD.v128_xor);
      b.simd(V.store).u32(0).u32(off);
    }
  }
  get(PTR);
  i32c(256);
  b.byte(OP.i32_add);
  set(PTR);
  get(CTR);
  i32c(4);
  b.byte(OP.i32_add);
  set(CTR);
  get(BLOCKS);
  i32c(4);
  b.byte(OPS.i32_sub);
  set(BLOCKS);
  b.byte(OPS.br).u32(0);
  b.byte(OP.end).byte(OP.end);
  return { body: b, i32s: 1, v128s: 20 };
}

function polyBody(): { body: ByteWriter; i64s: number } {
  const b = new ByteWriter();
  const PTR = 0,
    N = 1;
  const R = 2, // r0..r4
    S = 7, // s1..s4 = 5 r1..5 r4 at S+0..S+3
    H = 11, // h0..h4
    D = 16, // d0..d4
    C = 21;
  const get = (l: number): void => void b.byte(OP.local_get).u32(l);
  const set = (l: number): void => void b.byte(OP.local_set).u32(l);
  const i64c = (n: number): void => {
    b.byte(OPS.i64_const);
    // Signed LEB128 of a non-negative value below 2^31.
    b.s32(n);
  };
  const i32c = (n: number): void => void b.byte(OP.i32_const).s32(n);
  const M = 0x3ffffff;
  for (let i = 0; i < 5; i++) {
    i32c(0);
    b.byte(OPS.i64_load)
      .u32(3)
      .u32(POLY_R + 8 * i);
    set(R + i);
    i32c(0);
    b.byte(OPS.i64_load)
      .u32(3)
      .u32(POLY_H + 8 * i);
    set(H + i);
  }
  for (let i = 1; i < 5; i++) {
    get(R + i);
    i64c(5);
    b.byte(OPS.i64_mul);
    set(S + i - 1);
  }
  b.byte(OP.block).byte(OP.void).byte(OP.loop).byte(OP.void);
  get(N);
  i32c(0);
  b.byte(OPS.i32_le_s).byte(OP.br_if).u32(1);
  // h += m (26-bit limbs of the little-endian block) + 2^128
  const shifts = [0, 2, 4, 6, 8];
  for (let i = 0; i < 5; i++) {
    get(H + i);
    get(PTR);
    b.byte(OPS.i64_load32_u)
      .u32(0)
      .u32(3 * i);
    if (shifts[i]) {
      i64c(shifts[i]!);
      b.byte(OPS.i64_shr_u);
    }
    if (i < 4) {
      i64c(M);
      b.byte(OPS.i64_and);
    } else {
      i64c(1 << 24);
      b.byte(OPS.i64_or);
    }
    b.byte(OPS.i64_add);
    set(H + i);
  }
  // d_k = Σ h_i × (r_{k−i} or 5 r_{k−i+5})
  const rr = (j: number): number => (j >= 0 ? R + j : S + (j + 5) - 1);
  for (let k = 0; k < 5; k++) {
    for (let i = 0; i < 5; i++) {
      get(H + i);
      get(rr(k - i));
      b.byte(OPS.i64_mul);
      if (i > 0) b.byte(OPS.i64_add);
    }
    set(D + k);
  }
  // Carry: h_k = d_k mod 2^26, d_{k+1} += d_k >> 26; the carry out of h4 comes back × 5 into h0.
  for (let k = 0; k < 5; k++) {
    get(D + k);
    i64c(26);
    b.byte(OPS.i64_shr_u);
    set(C);
    get(D + k);
    i64c(M);
    b.byte(OPS.i64_and);
    set(H + k);
    if (k < 4) {
      get(D + k + 1);
      get(C);
      b.byte(OPS.i64_add);
      set(D + k + 1);
    }
  }
  get(H);
  get(C);
  i64c(5);
  b.byte(OPS.i64_mul).byte(OPS.i64_add);
  set(H);
  get(H);
  i64c(26);
  b.byte(OPS.i64_shr_u);
  get(H + 1);
  b.byte(OPS.i64_add);
  set(H + 1);
  get(H);
  i64c(M);
  b.byte(OPS.i64_and);
  set(H);
  get(PTR);
  i32c(16);
  b.byte(OP.i32_add);
  set(PTR);
  get(N);
  i32c(1);
  b.byte(OPS.i32_sub);
  set(N);
  b.byte(OPS.br).u32(0);
  b.byte(OP.end).byte(OP.end);
  for (let i = 0; i < 5; i++) {
    i32c(0);
    get(H + i);
    b.byte(OPS.i64_store)
      .u32(3)
      .u32(POLY_H + 8 * i);
  }
  return { body: b, i64s: 20 };
}

/** The module's bytes: memory `mem`, functions `xor` (i32, i32, i32) and `mac` (i32, i32). */
export function buildChachaPolyBytes(): Uint8Array {
  const m = new ByteWriter().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, content: ByteWriter): void => void m.byte(id).sized(content);
  section(
    1,
    new ByteWriter()
      .u32(2)
      .byte(0x60)
      .u32(3)
      .bytes([I32, I32, I32])
      .u32(0)
      .byte(0x60)
      .u32(2)
      .bytes([I32, I32])
      .u32(0),
  );
  section(3, new ByteWriter().u32(2).u32(0).u32(1));
  const pages = Math.ceil((DATA + DATA_BYTES + 256) / 65536);
  section(5, new ByteWriter().u32(1).byte(0x00).u32(pages));
  section(
    7,
    new ByteWriter()
      .u32(3)
      .name('xor')
      .byte(0x00)
      .u32(0)
      .name('mac')
      .byte(0x00)
      .u32(1)
      .name('mem')
      .byte(0x02)
      .u32(0),
  );
  const chacha = chachaBody();
  const poly = polyBody();
  const f0 = new ByteWriter().u32(2).u32(chacha.i32s).byte(I32).u32(chacha.v128s).byte(V128);
  f0.bytes(chacha.body.toBytes()).byte(OP.end);
  const f1 = new ByteWriter().u32(1).u32(poly.i64s).byte(I64);
  f1.bytes(poly.body.toBytes()).byte(OP.end);
  section(10, new ByteWriter().u32(2).sized(f0).sized(f1));
  return m.toBytes();
}

export interface ChachaPolyKernel {
  /** XORs the ChaCha20 keystream (blocks from `counter`) of `key`/`nonce` into `data` in place. */
  xorInPlace(key: Uint8Array, nonce: Uint8Array, counter: number, data: Uint8Array): void;
  readonly memory: WebAssembly.Memory;
  readonly bytes: Uint8Array;
  /** Runs `xor` over `blocks` blocks of the data area (whose bytes the caller placed at `bytes[DATA..]`). */
  xor(blocks: number, counter: number): void;
  /** Absorbs `blocks` 16-byte blocks of the data area into the Poly1305 accumulator. */
  mac(blocks: number): void;
  /** Writes ChaCha20's state words (constants, key, nonce) for the next `xor` calls. */
  setKey(key: Uint8Array, nonce: Uint8Array): void;
  /** Starts a Poly1305 computation under the one-time key's first 16 bytes (r); the caller keeps s. */
  polyInit(r: Uint8Array): void;
  /** (h mod 2^130 − 5) + s mod 2^128, little-endian. */
  polyFinish(s: Uint8Array): Uint8Array;
}

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];
const MASK26 = (1n << 26n) - 1n;
const P1305 = (1n << 130n) - 5n;

function leBig(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

function instantiate(module: WebAssembly.Module): ChachaPolyKernel {
  const ex = new WebAssembly.Instance(module, {}).exports;
  const memory = ex['mem'] as WebAssembly.Memory;
  const xor = ex['xor'] as (ptr: number, blocks: number, counter: number) => void;
  const mac = ex['mac'] as (ptr: number, blocks: number) => void;
  const bytes = new Uint8Array(memory.buffer);
  const view = new DataView(memory.buffer);
  const k: ChachaPolyKernel = {
    memory,
    bytes,
    xor: (blocks, counter) => xor(DATA, blocks, counter | 0),
    mac: (blocks) => mac(DATA, blocks),
    setKey(key, nonce) {
      for (let i = 0; i < 4; i++) view.setUint32(STATE + 4 * i, SIGMA[i]!, true);
      bytes.set(key, STATE + 16);
      bytes.set(nonce, STATE + 52);
    },
    xorInPlace(key, nonce, counter, data) {
      k.setKey(key, nonce);
      for (let off = 0; off < data.length; off += DATA_BYTES) {
        const n = Math.min(DATA_BYTES, data.length - off);
        bytes.set(data.subarray(off, off + n), DATA);
        xor(DATA, Math.ceil(n / 64), (counter + off / 64) | 0);
        data.set(bytes.subarray(DATA, DATA + n), off);
      }
    },
    polyInit(r) {
      const clamped = leBig(r) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
      for (let i = 0; i < 5; i++) {
        view.setBigUint64(POLY_R + 8 * i, (clamped >> BigInt(26 * i)) & MASK26, true);
        view.setBigUint64(POLY_H + 8 * i, 0n, true);
      }
    },
    polyFinish(s) {
      let h = 0n;
      for (let i = 4; i >= 0; i--) h = (h << 26n) + view.getBigUint64(POLY_H + 8 * i, true);
      let t = ((h % P1305) + leBig(s)) & ((1n << 128n) - 1n);
      const tag = new Uint8Array(16);
      for (let i = 0; i < 16; i++, t >>= 8n) tag[i] = Number(t & 0xffn);
      return tag;
    },
  };
  return k;
}

let kernel: ChachaPolyKernel | null | undefined;
/**
 * The realm's kernel, compiled on first use; null where WebAssembly SIMD is missing or compilation
 * failed (callers then use noble's ChaCha20 and Poly1305).
 */
export function chachaPolyKernel(): ChachaPolyKernel | null {
  if (kernel !== undefined) return kernel;
  try {
    kernel = instantiate(new WebAssembly.Module(buildChachaPolyBytes() as Uint8Array<ArrayBuffer>));
  } catch {
    kernel = null;
  }
  return kernel;
}
