/**
 * ChaCha20 (RFC 8439 §2.4) and Poly1305 (§2.5) as a generated WebAssembly module. ChaCha20 computes
 * 4 blocks at once, one block per i32x4 lane (the 16 state words are 16 v128 locals, rotations by 16
 * and 8 are byte shuffles), then transposes the lanes into 4 consecutive 64-byte blocks and XORs them
 * into the data. Poly1305 uses 5 limbs of 26 bits on i64 scalars (WebAssembly has no 64×64→128
 * multiply) and absorbs two blocks per carry chain: h ← (h + m1)·r² + m2·r.
 * `seal` is the encryption loop: ChaCha20 of one 256-byte pass woven statement by statement with
 * Poly1305 of the previous pass's ciphertext. The two use different register files (xmm against
 * general-purpose) and different execution units, so on this kernel's test machine (AMD EPYC, Node 20)
 * the MAC costs almost nothing on top of the cipher — provided TurboFan keeps them interleaved, which
 * the scratch stores of KernelOptions.anchors force.
 *
 * Why generated WASM: noble's pure-JS ChaCha20 + Poly1305 ran at 0.025–0.04× OpenSSL
 * (`openssl speed -evp chacha20-poly1305`); libsodium-wrappers 0.7.15 (its WebAssembly build) measured
 * 63 MB/s on 1 MiB here. The bytes are generated like the proof-of-work kernel's (../pow/_wasm.ts):
 * no prebuilt binary, `WebAssembly.Module` of local bytes under the 'wasm-unsafe-eval' CSP source.
 * The module is ~18 KiB (the round loop is unrolled 5 times): current Chrome compiles up to 8 MiB
 * synchronously on a document's main thread (it used to be 4 KiB); tests/e2e/browser-engine and
 * bench:chacha's page part check that it compiles on selftest.html.
 *
 * Memory (one 64 KiB page + DATA_BYTES): bytes 0..63 the ChaCha20 state words 0..15 (word 12, the
 * counter, is passed to `xor` instead); 64..103 Poly1305's r as 5 i64 limbs; 128..167 the accumulator
 * h; 168..207 r²; 208..231 scratch for the ordering stores; DATA.. DATA + DATA_BYTES + 256 the data
 * (256 bytes of slack: `xor` always writes whole passes of 4 blocks).
 * Exports: `xor(ptr, blocks, counter)` XORs the keystream of blocks counter .. counter+blocks−1 into
 * memory at ptr; `mac(ptr, blocks)` absorbs `blocks` 16-byte blocks at ptr (each with the 2^128 bit);
 * `seal(ptr, passes, counter)` does both, MACing the ciphertext, on `passes` × 256 bytes.
 */
import { ByteWriter, I32, OP, SIMD, V128 } from '../pow/_wasm.ts';

const I64 = 0x7e;
const OPS = {
  call: 0x10,
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
const V = { load: 0x00, load32_splat: 0x09, store: 0x0b } as const;

export const STATE = 0;
export const POLY_R = 64;
export const POLY_H = 128;
export const POLY_R2 = 168;
/** Scratch for the ordering stores (KernelOptions.anchors): a v128 at 208, an i64 at 224. */
const SCRATCH = 208;
export const DATA = 256;
/** Bytes handled per call; a multiple of 256 (4 ChaCha20 blocks). */
export const DATA_BYTES = 64 << 10;

/** Generator choices that bench-chacha compares; the kernel uses DEFAULT_OPTIONS. */
export interface KernelOptions {
  /** ChaCha20 double rounds per iteration of the round loop (10: no loop). */
  doubleRoundsPerIteration: 5 | 10;
  /**
   * Stores one state vector after every double round and h1 after every Poly1305 pair to a scratch
   * slot. TurboFan orders a basic block's pure arithmetic by its uses, so without these stores all of
   * Poly1305's scalar work in `seal` comes out before all of ChaCha20's vector work, and the CPU, whose
   * window is a few hundred instructions, overlaps only their seam.
   */
  anchors: boolean;
}
export const DEFAULT_OPTIONS: KernelOptions = { doubleRoundsPerIteration: 5, anchors: true };

const ROTL16 = [2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13];
const ROTL8 = [3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14];
const M26 = 0x3ffffff;
const lanes32 = (ls: number[]): number[] => ls.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]);

/**
 * A function body being written, with the boundaries between whole statements (`cut`): two bodies'
 * statement lists can be woven together (ChaCha20 SIMD work between Poly1305 scalar work) because
 * each statement leaves the operand stack empty and the two use different locals.
 */
class Asm {
  readonly b = new ByteWriter();
  private readonly cuts: number[] = [0];
  get(l: number): void {
    this.b.byte(OP.local_get).u32(l);
  }
  set(l: number): void {
    this.b.byte(OP.local_set).u32(l);
  }
  tee(l: number): void {
    this.b.byte(OP.local_tee).u32(l);
  }
  i32(n: number): void {
    this.b.byte(OP.i32_const).s32(n);
  }
  /** i64.const of a non-negative value below 2^31 (signed LEB128 as for i32). */
  i64(n: number): void {
    this.b.byte(OPS.i64_const).s32(n);
  }
  op(...bytes: number[]): void {
    this.b.bytes(bytes);
  }
  simd(op: number): void {
    this.b.simd(op);
  }
  /** A SIMD memory access with its memarg (alignment exponent, offset). */
  mem(op: number, align: number, offset: number): void {
    this.b.simd(op).u32(align).u32(offset);
  }
  shuffle(lanes: number[]): void {
    this.b.simd(SIMD.i8x16_shuffle).bytes(lanes);
  }
  /** `local += delta` on an i32 local. */
  addI32(l: number, delta: number): void {
    this.get(l);
    this.i32(delta);
    this.op(OP.i32_add);
    this.set(l);
    this.cut();
  }
  cut(): void {
    if (this.b.length !== this.cuts.at(-1)) this.cuts.push(this.b.length);
  }
  append(pieces: readonly Uint8Array[]): void {
    for (const p of pieces) this.b.bytes(p);
    this.cut();
  }
  pieces(): Uint8Array[] {
    this.cut();
    const all = this.b.toBytes();
    const out: Uint8Array[] = [];
    for (let i = 1; i < this.cuts.length; i++) out.push(all.subarray(this.cuts[i - 1]!, this.cuts[i]!));
    return out;
  }
}

/** Interleaves `b`'s statements evenly among `a`'s. */
function weave(a: readonly Uint8Array[], b: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    out.push(a[i]!);
    while (j < Math.floor(((i + 1) * b.length) / a.length)) out.push(b[j++]!);
  }
  while (j < b.length) out.push(b[j++]!);
  return out;
}

/** Locals of the ChaCha20 part: the data pointer and block counter (i32) and the first v128 local. */
interface ChachaLocals {
  ptr: number;
  ctr: number;
  x: number;
}

interface ChachaPass {
  /** ChaCha20 blocks per pass. */
  blocks: number;
  /** v128 locals from ChachaLocals.x on. */
  v128s: number;
  setup(a: Asm, L: ChachaLocals): void;
  doubleRound(a: Asm, L: ChachaLocals, o: KernelOptions): void;
  /** Adds the input state and XORs the keystream into the blocks at ptr. */
  finish(a: Asm, L: ChachaLocals): void;
}

/** `v <<<= n` on a v128 local: byte shuffles for 16 and 8, else shift, shift, or. */
function rotl(a: Asm, l: number, n: number): void {
  a.get(l);
  if (n === 16 || n === 8) {
    a.get(l);
    a.shuffle(n === 16 ? ROTL16 : ROTL8);
  } else {
    a.i32(n);
    a.simd(SIMD.i32x4_shl);
    a.get(l);
    a.i32(32 - n);
    a.simd(SIMD.i32x4_shr_u);
    a.simd(SIMD.v128_or);
  }
  a.set(l);
}

/** `x[p] += x[q]; x[d] ^= x[p]; x[d] <<<= n` on v128 locals, one statement. */
function step(a: Asm, p: number, q: number, d: number, n: number): void {
  a.get(p);
  a.get(q);
  a.simd(SIMD.i32x4_add);
  a.tee(p);
  a.get(d);
  a.simd(SIMD.v128_xor);
  a.set(d);
  rotl(a, d, n);
  a.cut();
}

function anchorV128(a: Asm, l: number): void {
  a.i32(0);
  a.get(l);
  a.mem(V.store, 0, SCRATCH);
  a.cut();
}

/** 4 blocks, block i in lane i: locals x..x+15 the state words, x+16..x+19 transpose temporaries. */
const LANES: ChachaPass = {
  blocks: 4,
  v128s: 20,
  setup(a, L) {
    for (let w = 0; w < 16; w++) {
      lanesWord(a, L, w);
      a.set(L.x + w);
      a.cut();
    }
  },
  doubleRound(a, L, o) {
    // Four independent quarter rounds, interleaved step by step.
    const round = (qrs: readonly (readonly [number, number, number, number])[]): void => {
      const x = (w: number): number => L.x + w;
      for (const [p, q, , d] of qrs) step(a, x(p), x(q), x(d), 16);
      for (const [, q, c, d] of qrs) step(a, x(c), x(d), x(q), 12);
      for (const [p, q, , d] of qrs) step(a, x(p), x(q), x(d), 8);
      for (const [, q, c, d] of qrs) step(a, x(c), x(d), x(q), 7);
    };
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
    if (o.anchors) anchorV128(a, L.x + 4);
  },
  finish(a, L) {
    for (let w = 0; w < 16; w++) {
      a.get(L.x + w);
      lanesWord(a, L, w);
      a.simd(SIMD.i32x4_add);
      a.set(L.x + w);
      a.cut();
    }
    const T = L.x + 16;
    // Transpose each group of 4 words (lanes = blocks) into 16-byte rows of the 4 blocks and XOR.
    for (let g = 0; g < 4; g++) {
      const x = (k: number): number => L.x + 4 * g + k;
      const pair = (p: number, q: number, lanes: number[], to: number): void => {
        a.get(p);
        a.get(q);
        a.shuffle(lanes32(lanes));
        a.set(to);
        a.cut();
      };
      pair(x(0), x(1), [0, 4, 1, 5], T); // w0b0 w1b0 w0b1 w1b1
      pair(x(2), x(3), [0, 4, 1, 5], T + 1); // w2b0 w3b0 w2b1 w3b1
      pair(x(0), x(1), [2, 6, 3, 7], T + 2); // w0b2 w1b2 w0b3 w1b3
      pair(x(2), x(3), [2, 6, 3, 7], T + 3);
      for (let blk = 0; blk < 4; blk++) {
        const off = blk * 64 + g * 16;
        a.get(L.ptr);
        a.get(L.ptr);
        a.mem(V.load, 0, off);
        a.get(T + (blk < 2 ? 0 : 2));
        a.get(T + (blk < 2 ? 1 : 3));
        a.shuffle(lanes32(blk % 2 === 0 ? [0, 1, 4, 5] : [2, 3, 6, 7]));
        a.simd(SIMD.v128_xor);
        a.mem(V.store, 0, off);
        a.cut();
      }
    }
  },
};

/** State word w in all 4 lanes; word 12 is the counter: counter + (0, 1, 2, 3) across the lanes. */
function lanesWord(a: Asm, L: ChachaLocals, w: number): void {
  if (w === 12) {
    a.get(L.ctr);
    a.simd(SIMD.i32x4_splat);
    a.simd(SIMD.v128_const);
    a.op(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0);
    a.simd(SIMD.i32x4_add);
  } else {
    a.i32(0);
    a.mem(V.load32_splat, 2, STATE + w * 4);
  }
}

/** `block; loop; if (local <= 0) break;` … `br 0; end; end` around `body`. */
function whilePositive(a: Asm, counter: number, body: () => void): void {
  a.op(OP.block, OP.void, OP.loop, OP.void);
  a.get(counter);
  a.i32(0);
  a.op(OPS.i32_le_s, OP.br_if, 1);
  a.cut();
  body();
  a.op(OPS.br, 0, OP.end, OP.end);
  a.cut();
}

/** `local = n; loop;` body `local -= 1; br_if local != 0; end` (n ≥ 1 iterations). */
function repeat(a: Asm, counter: number, n: number, body: () => void): void {
  if (n === 1) return body();
  a.i32(n);
  a.set(counter);
  a.op(OP.loop, OP.void);
  a.cut();
  body();
  a.get(counter);
  a.i32(1);
  a.op(OPS.i32_sub);
  a.tee(counter);
  a.op(OP.br_if, 0, OP.end);
  a.cut();
}

/** `xor(ptr, blocks, counter)` in whole passes: up to 3 blocks' bytes past the last block are overwritten. */
function xorBody(o: KernelOptions): Asm {
  const a = new Asm();
  const lay = LANES;
  const L: ChachaLocals = { ptr: 0, ctr: 2, x: 4 };
  const BLOCKS = 1,
    ROUND = 3;
  whilePositive(a, BLOCKS, () => {
    lay.setup(a, L);
    repeat(a, ROUND, 10 / o.doubleRoundsPerIteration, () => {
      for (let i = 0; i < o.doubleRoundsPerIteration; i++) lay.doubleRound(a, L, o);
    });
    lay.finish(a, L);
    a.addI32(L.ptr, 64 * lay.blocks);
    a.addI32(L.ctr, lay.blocks);
    a.addI32(BLOCKS, -lay.blocks);
  });
  return a;
}

/**
 * Poly1305 locals (i64): r and 5 r (limbs 1..4), r² and 5 r², the accumulator h, products d, a
 * carry, and the second block's limbs m.
 */
interface PolyLocals {
  r: number;
  s: number;
  u: number;
  v: number;
  h: number;
  d: number;
  c: number;
  m: number;
}
const POLY_I64S = 34;
function polyLocals(base: number): PolyLocals {
  return {
    r: base,
    s: base + 5,
    u: base + 9,
    v: base + 14,
    h: base + 18,
    d: base + 23,
    c: base + 28,
    m: base + 29,
  };
}

function polyLoad(a: Asm, P: PolyLocals): void {
  for (let i = 0; i < 5; i++) {
    for (const [to, at] of [
      [P.r, POLY_R],
      [P.u, POLY_R2],
      [P.h, POLY_H],
    ] as const) {
      a.i32(0);
      a.op(OPS.i64_load);
      a.b.u32(3).u32(at + 8 * i);
      a.set(to + i);
    }
  }
  for (let i = 1; i < 5; i++) {
    for (const [from, to] of [
      [P.r, P.s],
      [P.u, P.v],
    ] as const) {
      a.get(from + i);
      a.i64(5);
      a.op(OPS.i64_mul);
      a.set(to + i - 1);
    }
  }
  a.cut();
}

function polyStore(a: Asm, P: PolyLocals): void {
  for (let i = 0; i < 5; i++) {
    a.i32(0);
    a.get(P.h + i);
    a.op(OPS.i64_store);
    a.b.u32(3).u32(POLY_H + 8 * i);
  }
  a.cut();
}

/** Pushes limb i (26 bits) of the 16-byte block at ptr + off, with the 2^128 bit in limb 4. */
function messageLimb(a: Asm, ptr: number, off: number, i: number): void {
  a.get(ptr);
  a.op(OPS.i64_load32_u);
  a.b.u32(0).u32(off + 3 * i);
  if (i > 0) {
    a.i64(2 * i);
    a.op(OPS.i64_shr_u);
  }
  if (i < 4) {
    a.i64(M26);
    a.op(OPS.i64_and);
  } else {
    a.i64(1 << 24);
    a.op(OPS.i64_or);
  }
}

/**
 * h ← (h + m1) r (one block at ptr + off) or, with `pair`, h ← (h + m1) r² + m2 r (two blocks):
 * the products of both blocks are summed before one carry chain, which is what makes the pair cheaper
 * than two single steps (half the carries, and the two halves' multiplies are independent).
 */
function polyStep(a: Asm, P: PolyLocals, ptr: number, off: number, pair: boolean, anchor = false): void {
  for (let i = 0; i < 5; i++) {
    a.get(P.h + i);
    messageLimb(a, ptr, off, i);
    a.op(OPS.i64_add);
    a.set(P.h + i);
    a.cut();
    if (pair) {
      messageLimb(a, ptr, off + 16, i);
      a.set(P.m + i);
      a.cut();
    }
  }
  // d_k = Σ h_i × (x_{k−i} or 5 x_{k−i+5}), x = r² for the pair's first block, else r
  const limb = (x: number, fives: number, j: number): number => (j >= 0 ? x + j : fives + j + 4);
  for (let k = 0; k < 5; k++) {
    for (let i = 0; i < 5; i++) {
      a.get(P.h + i);
      a.get(pair ? limb(P.u, P.v, k - i) : limb(P.r, P.s, k - i));
      a.op(OPS.i64_mul);
      if (i > 0) a.op(OPS.i64_add);
    }
    if (pair) {
      for (let i = 0; i < 5; i++) {
        a.get(P.m + i);
        a.get(limb(P.r, P.s, k - i));
        a.op(OPS.i64_mul, OPS.i64_add);
      }
    }
    a.set(P.d + k);
    a.cut();
  }
  // Carry: h_k = d_k mod 2^26, d_{k+1} += d_k >> 26; the carry out of h4 comes back × 5 into h0.
  for (let k = 0; k < 5; k++) {
    a.get(P.d + k);
    a.i64(26);
    a.op(OPS.i64_shr_u);
    a.set(P.c);
    a.get(P.d + k);
    a.i64(M26);
    a.op(OPS.i64_and);
    a.set(P.h + k);
    a.cut();
    if (k < 4) {
      a.get(P.d + k + 1);
      a.get(P.c);
      a.op(OPS.i64_add);
      a.set(P.d + k + 1);
      a.cut();
    }
  }
  a.get(P.h);
  a.get(P.c);
  a.i64(5);
  a.op(OPS.i64_mul, OPS.i64_add);
  a.set(P.h);
  a.get(P.h);
  a.i64(26);
  a.op(OPS.i64_shr_u);
  a.get(P.h + 1);
  a.op(OPS.i64_add);
  a.set(P.h + 1);
  a.get(P.h);
  a.i64(M26);
  a.op(OPS.i64_and);
  a.set(P.h);
  a.cut();
  if (anchor) {
    a.i32(0);
    a.get(P.h + 1);
    a.op(OPS.i64_store);
    a.b.u32(3).u32(SCRATCH + 16);
    a.cut();
  }
}

/** `mac(ptr, blocks)`: an odd block first with r, then pairs with r², r. Locals i64 × POLY_I64S. */
function macBody(): Asm {
  const a = new Asm();
  const PTR = 0,
    N = 1;
  const P = polyLocals(2);
  polyLoad(a, P);
  a.get(N);
  a.i32(1);
  a.op(0x71 /* i32.and */, OP.if, OP.void);
  polyStep(a, P, PTR, 0, false);
  a.addI32(PTR, 16);
  a.addI32(N, -1);
  a.op(OP.end);
  whilePositive(a, N, () => {
    polyStep(a, P, PTR, 0, true);
    a.addI32(PTR, 32);
    a.addI32(N, -2);
  });
  polyStore(a, P);
  return a;
}

/**
 * `seal(ptr, groups, counter)`: encrypts `groups` passes' bytes (64 × blocks per pass) at ptr in place (keystream from block
 * `counter`) and absorbs the resulting ciphertext into Poly1305. ChaCha20 of group g runs woven with
 * Poly1305 of group g − 1 (the first group's keystream is `xor`, the last group's MAC is `mac`), so
 * the scalar multiplies fill the gaps of the SIMD work. Locals: i32 round, pp; v128 × 20; i64 × 34.
 */
function sealBody(o: KernelOptions): Asm {
  const a = new Asm();
  const lay = LANES;
  const group = 64 * lay.blocks;
  const GROUPS = 1,
    ROUND = 3,
    PP = 4;
  const L: ChachaLocals = { ptr: 0, ctr: 2, x: 5 };
  const P = polyLocals(5 + lay.v128s);
  const call = (fn: number, args: () => void): void => {
    args();
    a.op(OPS.call, fn);
    a.cut();
  };
  a.get(GROUPS);
  a.i32(0);
  a.op(OPS.i32_le_s, OP.if, OP.void, OP.return, OP.end);
  a.cut();
  call(0, () => (a.get(L.ptr), a.i32(lay.blocks), a.get(L.ctr)));
  a.get(L.ptr);
  a.set(PP);
  a.addI32(L.ptr, group);
  a.addI32(L.ctr, lay.blocks);
  a.addI32(GROUPS, -1);
  polyLoad(a, P);
  const iterations = 10 / o.doubleRoundsPerIteration;
  const pairs = group / 32 / iterations;
  whilePositive(a, GROUPS, () => {
    lay.setup(a, L);
    repeat(a, ROUND, iterations, () => {
      const c = new Asm();
      for (let i = 0; i < o.doubleRoundsPerIteration; i++) lay.doubleRound(c, L, o);
      const p = new Asm();
      for (let i = 0; i < pairs; i++) polyStep(p, P, PP, 32 * i, true, o.anchors);
      a.append(weave(c.pieces(), p.pieces()));
      a.addI32(PP, 32 * pairs);
    });
    lay.finish(a, L);
    a.addI32(L.ptr, group);
    a.addI32(L.ctr, lay.blocks);
    a.addI32(GROUPS, -1);
  });
  polyStore(a, P);
  call(1, () => (a.get(PP), a.i32(group / 16)));
  return a;
}

/** The module's bytes: memory `mem`; functions `xor` (i32, i32, i32), `mac` (i32, i32), `seal` (i32, i32, i32). */
export function buildChachaPolyBytes(o: KernelOptions = DEFAULT_OPTIONS): Uint8Array {
  const m = new ByteWriter().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, content: ByteWriter): void => void m.byte(id).sized(content);
  const types = new ByteWriter().u32(2);
  types.byte(0x60).u32(3).bytes([I32, I32, I32]).u32(0);
  types.byte(0x60).u32(2).bytes([I32, I32]).u32(0);
  section(1, types);
  section(3, new ByteWriter().u32(3).u32(0).u32(1).u32(0));
  const pages = Math.ceil((DATA + DATA_BYTES + 256) / 65536);
  section(5, new ByteWriter().u32(1).byte(0x00).u32(pages));
  const exports = new ByteWriter().u32(4);
  exports.name('xor').byte(0x00).u32(0).name('mac').byte(0x00).u32(1).name('seal').byte(0x00).u32(2);
  exports.name('mem').byte(0x02).u32(0);
  section(7, exports);
  const fn = (locals: [number, number][], body: Asm): ByteWriter => {
    const f = new ByteWriter().u32(locals.length);
    for (const [count, type] of locals) f.u32(count).byte(type);
    return f.bytes(body.b.toBytes()).byte(OP.end);
  };
  const code = new ByteWriter().u32(3);
  code.sized(
    fn(
      [
        [1, I32],
        [LANES.v128s, V128],
      ],
      xorBody(o),
    ),
  );
  code.sized(fn([[POLY_I64S, I64]], macBody()));
  code.sized(
    fn(
      [
        [2, I32],
        [LANES.v128s, V128],
        [POLY_I64S, I64],
      ],
      sealBody(o),
    ),
  );
  section(10, code);
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
  /**
   * Encrypts `groups` × `groupBytes` of the data area in place (keystream from block `counter`) and
   * absorbs the ciphertext into Poly1305: `xor` then `mac`, woven together.
   */
  seal(groups: number, counter: number): void;
  /** Bytes of one ChaCha20 pass (`seal`'s unit): 64 × the blocks computed at once. */
  readonly groupBytes: number;
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

/** Instantiates a compiled kernel module (buildChachaPolyBytes). */
export function instantiate(module: WebAssembly.Module): ChachaPolyKernel {
  const ex = new WebAssembly.Instance(module, {}).exports;
  const memory = ex['mem'] as WebAssembly.Memory;
  const xor = ex['xor'] as (ptr: number, blocks: number, counter: number) => void;
  const mac = ex['mac'] as (ptr: number, blocks: number) => void;
  const seal = ex['seal'] as (ptr: number, groups: number, counter: number) => void;
  const bytes = new Uint8Array(memory.buffer);
  const view = new DataView(memory.buffer);
  const k: ChachaPolyKernel = {
    memory,
    bytes,
    xor: (blocks, counter) => xor(DATA, blocks, counter | 0),
    mac: (blocks) => mac(DATA, blocks),
    seal: (groups, counter) => seal(DATA, groups, counter | 0),
    groupBytes: 64 * LANES.blocks,
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
      const squared = (clamped * clamped) % P1305;
      for (let i = 0; i < 5; i++) {
        view.setBigUint64(POLY_R + 8 * i, (clamped >> BigInt(26 * i)) & MASK26, true);
        view.setBigUint64(POLY_R2 + 8 * i, (squared >> BigInt(26 * i)) & MASK26, true);
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
