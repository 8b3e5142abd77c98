/**
 * Bounds-checked readers over one frame, used by every decoder (typed and schema-driven).
 *
 * Why not capnp-es's reader (0.0.16) for untrusted bytes: it copies its input whenever it gets a
 * view (so no zero-copy over a SAB region), allocates `Array.from({length: segmentCount})` from the
 * untrusted header before checking it, resizes (writes) structs it reads when they are older/smaller
 * than the schema, charges its traversal limit per Pointer object rather than per word (so many
 * pointers aliasing one large object cost almost nothing), and throws plain `Error`s. These readers
 * read the caller's bytes in place, check every offset first, and throw only FrameError.
 *
 * Scalars outside a struct's data section read as zero and pointers past its pointer section read as
 * null: that is how Cap'n Proto lets old and new schema versions talk (encoding spec, "Structs").
 */
import { type Frame, parseFrame } from './_frame.ts';
import {
  type DecodeLimits,
  DEFAULT_LIMITS,
  describeElementSize,
  ElementSize,
  type ListTarget,
  ReadContext,
  type StructTarget,
  pathOf,
  type Target,
} from './_pointer.ts';
import { copyBytes, decodeUtf8 } from './_text.ts';
import { FrameError } from './frame-error.ts';

function describe(t: Target): string {
  return t.kind === 'struct' ? 'struct' : describeElementSize(t.elementSize);
}

function childDepth(ctx: ReadContext, depth: number, path: string): number {
  if (depth + 1 > ctx.limits.nesting) {
    throw new FrameError('limit', `nesting deeper than ${ctx.limits.nesting} levels`, path);
  }
  return depth + 1;
}

// `base` + `field` name the pointer for error messages; see pathOf.
function byteList(ctx: ReadContext, t: Target, what: string, base: string, field: string | number): number {
  if (t.kind !== 'list' || t.elementSize !== ElementSize.BYTE) {
    throw new FrameError(
      'pointer-kind',
      `expected ${what} (list of bytes), found ${describe(t)}`,
      pathOf(base, field),
    );
  }
  return ctx.byteOf(t.seg, t.word);
}

function readText(ctx: ReadContext, t: Target | null, base: string, field: string | number): string {
  if (t === null) return '';
  const start = byteList(ctx, t, 'Text', base, field);
  const length = t.kind === 'list' ? t.length : 0;
  const bytes = ctx.frame.bytes;
  if (length === 0 || bytes[start + length - 1] !== 0) {
    throw new FrameError('text', 'Text is not NUL-terminated', pathOf(base, field));
  }
  const text = decodeUtf8(bytes, start, start + length - 1, ctx.frame.shared);
  if (text === null) throw new FrameError('text', 'Text is not valid UTF-8', pathOf(base, field));
  return text;
}

/** Always a private copy: the frame may be shared memory another thread reuses. */
function readData(ctx: ReadContext, t: Target | null, base: string, field: string | number): Uint8Array {
  if (t === null) return new Uint8Array(0);
  const start = byteList(ctx, t, 'Data', base, field);
  return copyBytes(ctx.frame.bytes, start, start + (t.kind === 'list' ? t.length : 0));
}

function asStruct(
  ctx: ReadContext,
  t: Target | null,
  depth: number,
  base: string,
  field: string | number,
): StructReader | null {
  if (t === null) return null;
  const path = pathOf(base, field);
  if (t.kind !== 'struct')
    throw new FrameError('pointer-kind', `expected a struct, found ${describe(t)}`, path);
  return StructReader.at(ctx, t, childDepth(ctx, depth, path), path);
}

function asList(
  ctx: ReadContext,
  t: Target | null,
  depth: number,
  base: string,
  field: string | number,
): ListReader | null {
  if (t === null) return null;
  const path = pathOf(base, field);
  if (t.kind !== 'list') throw new FrameError('pointer-kind', 'expected a list, found a struct', path);
  return new ListReader(ctx, t, childDepth(ctx, depth, path), path);
}

export class StructReader {
  readonly ctx: ReadContext;
  readonly path: string;
  readonly depth: number;
  private readonly seg: number;
  private readonly dataAt: number;
  private readonly dataBytes: number;
  private readonly ptrWord: number;
  private readonly pointerCount: number;

  private constructor(
    ctx: ReadContext,
    seg: number,
    word: number,
    dataWords: number,
    pointerCount: number,
    depth: number,
    path: string,
  ) {
    this.ctx = ctx;
    this.seg = seg;
    this.dataAt = ctx.byteOf(seg, word);
    this.dataBytes = dataWords * 8;
    this.ptrWord = word + dataWords;
    this.pointerCount = pointerCount;
    this.depth = depth;
    this.path = path;
  }

  static at(ctx: ReadContext, t: StructTarget, depth: number, path: string): StructReader {
    return new StructReader(ctx, t.seg, t.word, t.dataWords, t.pointerCount, depth, path);
  }

  /** An all-default struct, for a null root or struct pointer that the schema says is present. */
  static empty(ctx: ReadContext, depth: number, path: string): StructReader {
    return new StructReader(ctx, 0, 0, 0, 0, depth, path);
  }

  /** `byteOffset` is from the start of the data section; reads past its end give 0. */
  u8(byteOffset: number): number {
    return byteOffset + 1 <= this.dataBytes ? this.ctx.frame.view.getUint8(this.dataAt + byteOffset) : 0;
  }
  u16(byteOffset: number): number {
    return byteOffset + 2 <= this.dataBytes
      ? this.ctx.frame.view.getUint16(this.dataAt + byteOffset, true)
      : 0;
  }
  u32(byteOffset: number): number {
    return byteOffset + 4 <= this.dataBytes
      ? this.ctx.frame.view.getUint32(this.dataAt + byteOffset, true)
      : 0;
  }
  u64(byteOffset: number): bigint {
    return byteOffset + 8 <= this.dataBytes
      ? this.ctx.frame.view.getBigUint64(this.dataAt + byteOffset, true)
      : 0n;
  }
  bool(bitOffset: number): boolean {
    return ((this.u8(bitOffset >>> 3) >>> (bitOffset & 7)) & 1) === 1;
  }
  i8(byteOffset: number): number {
    return (this.u8(byteOffset) << 24) >> 24;
  }
  i16(byteOffset: number): number {
    return (this.u16(byteOffset) << 16) >> 16;
  }
  i32(byteOffset: number): number {
    return this.u32(byteOffset) | 0;
  }
  i64(byteOffset: number): bigint {
    return BigInt.asIntN(64, this.u64(byteOffset));
  }
  f32(byteOffset: number): number {
    return byteOffset + 4 <= this.dataBytes
      ? this.ctx.frame.view.getFloat32(this.dataAt + byteOffset, true)
      : 0;
  }
  f64(byteOffset: number): number {
    return byteOffset + 8 <= this.dataBytes
      ? this.ctx.frame.view.getFloat64(this.dataAt + byteOffset, true)
      : 0;
  }

  private pointer(index: number, field: string): Target | null {
    if (index >= this.pointerCount) return null;
    return this.ctx.resolve(this.seg, this.ptrWord + index, this.path, field);
  }

  isNull(index: number, field: string): boolean {
    return this.pointer(index, field) === null;
  }
  text(index: number, field: string): string {
    return readText(this.ctx, this.pointer(index, field), this.path, field);
  }
  data(index: number, field: string): Uint8Array {
    return readData(this.ctx, this.pointer(index, field), this.path, field);
  }
  struct(index: number, field: string): StructReader | null {
    return asStruct(this.ctx, this.pointer(index, field), this.depth, this.path, field);
  }
  list(index: number, field: string): ListReader | null {
    return asList(this.ctx, this.pointer(index, field), this.depth, this.path, field);
  }
}

export class ListReader {
  readonly ctx: ReadContext;
  readonly path: string;
  readonly depth: number;
  readonly length: number;
  readonly elementSize: ElementSize;
  private readonly t: ListTarget;
  private readonly at: number;

  constructor(ctx: ReadContext, t: ListTarget, depth: number, path: string) {
    this.ctx = ctx;
    this.t = t;
    this.at = ctx.byteOf(t.seg, t.word);
    this.length = t.length;
    this.elementSize = t.elementSize;
    this.depth = depth;
    this.path = path;
  }

  /** Throws unless elements have `size`; the caller names what it expected. */
  expect(size: ElementSize, expected: string): void {
    if (this.elementSize !== size) {
      throw new FrameError(
        'pointer-kind',
        `expected ${expected}, found ${describeElementSize(this.elementSize)}`,
        this.path,
      );
    }
  }

  private view(): DataView {
    return this.ctx.frame.view;
  }
  // Element accessors assume `expect` passed and 0 <= i < length; the target was bounds-checked whole.
  u8(i: number): number {
    return this.view().getUint8(this.at + i);
  }
  u16(i: number): number {
    return this.view().getUint16(this.at + i * 2, true);
  }
  u32(i: number): number {
    return this.view().getUint32(this.at + i * 4, true);
  }
  u64(i: number): bigint {
    return this.view().getBigUint64(this.at + i * 8, true);
  }
  bool(i: number): boolean {
    return ((this.u8(i >>> 3) >>> (i & 7)) & 1) === 1;
  }
  /** Raw byte offset of element `i` for scalar lists (signed and float reads). */
  byteAt(i: number, bytesPerElement: number): number {
    return this.at + i * bytesPerElement;
  }

  private pointer(i: number): Target | null {
    return this.ctx.resolve(this.t.seg, this.t.word + i, this.path, i);
  }
  text(i: number): string {
    return readText(this.ctx, this.pointer(i), this.path, i);
  }
  data(i: number): Uint8Array {
    return readData(this.ctx, this.pointer(i), this.path, i);
  }
  list(i: number): ListReader | null {
    return asList(this.ctx, this.pointer(i), this.depth, this.path, i);
  }
  /** Element `i` of a composite (struct) list. */
  struct(i: number): StructReader {
    const stride = this.t.dataWords + this.t.pointerCount;
    const t: StructTarget = {
      kind: 'struct',
      seg: this.t.seg,
      word: this.t.word + i * stride,
      dataWords: this.t.dataWords,
      pointerCount: this.t.pointerCount,
    };
    const path = pathOf(this.path, i);
    return StructReader.at(this.ctx, t, childDepth(this.ctx, this.depth, path), path);
  }
}

/** Parses the frame and returns its root struct (all defaults when the root pointer is null). */
export function readRoot(
  bytes: unknown,
  rootName: string,
  limits: DecodeLimits = DEFAULT_LIMITS,
): StructReader {
  const frame: Frame = parseFrame(bytes);
  const ctx = new ReadContext(frame, limits);
  const root = ctx.resolve(0, 0, rootName, '');
  if (root === null) return StructReader.empty(ctx, 0, rootName);
  if (root.kind !== 'struct') {
    throw new FrameError(
      'pointer-kind',
      `root pointer must point to a struct, found ${describe(root)}`,
      rootName,
    );
  }
  return StructReader.at(ctx, root, 0, rootName);
}
