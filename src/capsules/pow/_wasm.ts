/**
 * A minimal WebAssembly binary writer: just what the SIMD kernel needs (one function, one memory).
 * Spec: WebAssembly Core 2.0 §5 (binary format); SIMD opcodes from the fixed-width SIMD proposal,
 * encoded as the 0xFD prefix followed by a LEB128 sub-opcode.
 * Generating bytes here instead of shipping a prebuilt .wasm keeps the kernel and the WGSL shader
 * derived from the same plan; `WebAssembly.compile` of local bytes needs only the
 * 'wasm-unsafe-eval' CSP source the extension already has (no remote code).
 */

export const I32 = 0x7f;
export const V128 = 0x7b;

export const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br_if: 0x0d,
  return: 0x0f,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  i32_const: 0x41,
  i32_lt_u: 0x49,
  i32_add: 0x6a,
  i32_mul: 0x6c,
  void: 0x40,
} as const;

/** SIMD sub-opcodes (after the 0xFD prefix). */
export const SIMD = {
  v128_load32_splat: 0x09,
  v128_const: 0x0c,
  i8x16_shuffle: 0x0d,
  i32x4_splat: 0x11,
  i32x4_le_u: 0x3e,
  v128_or: 0x50,
  v128_xor: 0x51,
  v128_bitselect: 0x52,
  v128_any_true: 0x53,
  i32x4_shl: 0xab,
  i32x4_shr_u: 0xad,
  i32x4_add: 0xae,
} as const;

export class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  length = 0;

  byte(b: number): this {
    if (this.length === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = b;
    return this;
  }

  bytes(bs: ArrayLike<number>): this {
    for (let i = 0; i < bs.length; i++) this.byte(bs[i]!);
    return this;
  }

  /** Unsigned LEB128. */
  u32(n: number): this {
    let v = n >>> 0;
    do {
      const b = v & 0x7f;
      v >>>= 7;
      this.byte(v === 0 ? b : b | 0x80);
    } while (v !== 0);
    return this;
  }

  /** Signed LEB128 of a 32-bit integer (for i32.const). */
  s32(n: number): this {
    let v = n | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return this.byte(b);
      this.byte(b | 0x80);
    }
  }

  simd(op: number): this {
    return this.byte(0xfd).u32(op);
  }

  name(s: string): this {
    this.u32(s.length);
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
    return this;
  }

  /** Appends `w` prefixed with its length (sections, function bodies). */
  sized(w: ByteWriter): this {
    this.u32(w.length);
    return this.bytes(w.toBytes());
  }

  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** A module exporting memory `mem` (`pages` × 64 KiB) and one function `name` with the given signature and body. */
export function buildModule(opts: {
  params: number[];
  results: number[];
  locals: { count: number; type: number }[];
  body: ByteWriter;
  name: string;
  pages: number;
}): Uint8Array {
  const m = new ByteWriter().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, content: ByteWriter): void => void m.byte(id).sized(content);
  section(
    1,
    new ByteWriter()
      .u32(1)
      .byte(0x60)
      .u32(opts.params.length)
      .bytes(opts.params)
      .u32(opts.results.length)
      .bytes(opts.results),
  );
  section(3, new ByteWriter().u32(1).u32(0));
  section(5, new ByteWriter().u32(1).byte(0x00).u32(opts.pages));
  section(7, new ByteWriter().u32(2).name(opts.name).byte(0x00).u32(0).name('mem').byte(0x02).u32(0));
  const fn = new ByteWriter().u32(opts.locals.length);
  for (const l of opts.locals) fn.u32(l.count).byte(l.type);
  fn.bytes(opts.body.toBytes()).byte(OP.end);
  section(10, new ByteWriter().u32(1).sized(fn));
  return m.toBytes();
}
