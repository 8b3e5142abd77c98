/**
 * Builds one single-segment message in stream framing (see `_frame.ts` for the byte map). Objects
 * are appended in the order they are set, so every pointer points forward; the 8-byte segment
 * table is reserved up front and filled in by `finish()`.
 *
 * Empty Text/Data are written as null pointers (they read back as "" / empty bytes, as the spec
 * says), which keeps frames small; zero-sized structs get the spec's offset -1 so they stay non-null.
 */
import { ElementSize } from './_pointer.ts';
import { encodeUtf8Into } from './_text.ts';

/** Lists and text are limited to 2^29 - 1 elements by the 29-bit count field. */
const MAX_LIST_ELEMENTS = 2 ** 29 - 1;

/**
 * Exact frame size needs exact UTF-8 lengths: with them a frame is one allocation and `finish()`
 * copies nothing (each ArrayBuffer allocation measured 0.5-2 us in Node 20, the largest cost of a
 * small encode). A lone surrogate counts 3 bytes, as TextEncoder writes it as U+FFFD.
 */
export function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (
      c >= 0xd800 &&
      c <= 0xdbff &&
      i + 1 < text.length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      n += 2; // the pair (2 code units) becomes 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

/** Size of a frame holding a root struct plus `extraWords` of objects: table + root pointer + struct + extra. */
export function frameBytes(dataWords: number, pointerCount: number, extraWords: number): number {
  return 16 + (dataWords + pointerCount + extraWords) * 8;
}

/** Words a Data field adds to a frame (0 when empty: a null pointer). */
export function dataWords(bytes: Uint8Array): number {
  return Math.ceil(bytes.length / 8);
}

/** Words a Text field adds to a frame (0 for "", which is written as a null pointer). */
export function textWords(text: string): number {
  return text.length === 0 ? 0 : Math.ceil((utf8Length(text) + 1) / 8);
}

/** Short ASCII is copied in JS (cheaper than the call into TextEncoder); the rest via encodeInto. */
function writeUtf8(text: string, length: number, bytes: Uint8Array, at: number): void {
  if (length === text.length && length <= 64) {
    for (let i = 0; i < length; i++) bytes[at + i] = text.charCodeAt(i);
    return;
  }
  encodeUtf8Into(text, bytes.subarray(at, at + length));
}

export class FrameWriter {
  private bytes: Uint8Array;
  private view: DataView;
  /** Bytes used, including the 8-byte segment table. */
  private used = 8;

  /** An exact `capacityHint` (see `frameBytes`) makes the frame a single allocation. */
  constructor(capacityHint = 256) {
    this.bytes = new Uint8Array(Math.max(16, Math.ceil(capacityHint / 8) * 8));
    this.view = new DataView(this.bytes.buffer);
  }

  /** Allocates zeroed words in the segment; returns the index of the first (segment-relative). */
  alloc(words: number): number {
    const need = this.used + words * 8;
    if (need > this.bytes.length) this.grow(need);
    const word = (this.used - 8) / 8;
    this.used = need;
    return word;
  }

  private grow(need: number): void {
    const next = new Uint8Array(Math.max(need, this.bytes.length * 2));
    next.set(this.bytes.subarray(0, this.used));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  byteOf(word: number): number {
    return 8 + word * 8;
  }
  dataView(): DataView {
    return this.view;
  }

  root(dataWords: number, pointerCount: number): StructWriter {
    const ptr = this.alloc(1);
    return this.structAt(ptr, dataWords, pointerCount);
  }

  structAt(ptrWord: number, dataWords: number, pointerCount: number): StructWriter {
    const word = this.alloc(dataWords + pointerCount);
    // A zero-sized struct gets offset -1 so its pointer is not all zeros (which would mean null).
    const offset = dataWords + pointerCount === 0 ? -1 : word - ptrWord - 1;
    this.setPointer(ptrWord, offset, 0, dataWords | (pointerCount << 16));
    return new StructWriter(this, word, dataWords, pointerCount);
  }

  /** A list of `length` elements of `size` (not composite); returns the first element's word. */
  listAt(ptrWord: number, size: ElementSize, length: number, bitsPerElement: number): number {
    checkLength(length);
    const word = this.alloc(Math.ceil((length * bitsPerElement) / 64));
    this.setPointer(ptrWord, word - ptrWord - 1, 1, size | (length << 3));
    return word;
  }

  /** A struct list: tag word, then `length` elements laid out back to back. */
  structListAt(ptrWord: number, length: number, dataWords: number, pointerCount: number): StructWriter[] {
    const stride = dataWords + pointerCount;
    checkLength(length * stride);
    const tag = this.alloc(1 + length * stride);
    this.setPointer(ptrWord, tag - ptrWord - 1, 1, ElementSize.COMPOSITE | ((length * stride) << 3));
    this.setPointer(tag, length, 0, dataWords | (pointerCount << 16));
    const out: StructWriter[] = [];
    for (let i = 0; i < length; i++)
      out.push(new StructWriter(this, tag + 1 + i * stride, dataWords, pointerCount));
    return out;
  }

  /** `keepEmpty`: write "" as a 1-byte list (just the NUL) rather than null, for fields whose default is not "". */
  textAt(ptrWord: number, text: string, keepEmpty = false): void {
    if (text.length === 0 && !keepEmpty) return;
    const length = utf8Length(text);
    checkLength(length + 1);
    const word = this.alloc(Math.ceil((length + 1) / 8));
    writeUtf8(text, length, this.bytes, this.byteOf(word));
    this.setPointer(ptrWord, word - ptrWord - 1, 1, ElementSize.BYTE | ((length + 1) << 3));
  }

  dataAt(ptrWord: number, data: Uint8Array, keepEmpty = false): void {
    if (data.length === 0 && !keepEmpty) return;
    checkLength(data.length);
    const word = this.alloc(Math.ceil(data.length / 8));
    this.bytes.set(data, this.byteOf(word));
    this.setPointer(ptrWord, word - ptrWord - 1, 1, ElementSize.BYTE | (data.length << 3));
  }

  private setPointer(ptrWord: number, offset: number, kind: number, hi: number): void {
    const at = this.byteOf(ptrWord);
    this.view.setUint32(at, ((offset << 2) | kind) >>> 0, true);
    this.view.setUint32(at + 4, hi >>> 0, true);
  }

  /** Writes the segment table and returns the frame (a fresh, exactly-sized buffer). */
  finish(): Uint8Array {
    this.view.setUint32(0, 0, true);
    this.view.setUint32(4, (this.used - 8) / 8, true);
    return this.used === this.bytes.length ? this.bytes : this.bytes.slice(0, this.used);
  }
}

function checkLength(n: number): void {
  if (n > MAX_LIST_ELEMENTS) {
    throw new RangeError(
      `a Cap'n Proto list/Text/Data holds at most ${MAX_LIST_ELEMENTS} elements, got ${n}`,
    );
  }
}

/** Writes one struct's fields; offsets are bytes from the start of the data section. */
export class StructWriter {
  private readonly w: FrameWriter;
  private readonly dataAt: number;
  private readonly ptrWord: number;

  constructor(
    w: FrameWriter,
    word: number,
    dataWords: number,
    readonly pointerCount: number,
  ) {
    this.w = w;
    this.dataAt = w.byteOf(word);
    this.ptrWord = word + dataWords;
  }

  // The DataView is re-fetched each call because the buffer may have grown since this writer was made.
  u8(byteOffset: number, v: number): void {
    this.w.dataView().setUint8(this.dataAt + byteOffset, v);
  }
  u16(byteOffset: number, v: number): void {
    this.w.dataView().setUint16(this.dataAt + byteOffset, v, true);
  }
  u32(byteOffset: number, v: number): void {
    this.w.dataView().setUint32(this.dataAt + byteOffset, v, true);
  }
  u64(byteOffset: number, v: bigint): void {
    this.w.dataView().setBigUint64(this.dataAt + byteOffset, v, true);
  }
  f32(byteOffset: number, v: number): void {
    this.w.dataView().setFloat32(this.dataAt + byteOffset, v, true);
  }
  f64(byteOffset: number, v: number): void {
    this.w.dataView().setFloat64(this.dataAt + byteOffset, v, true);
  }
  bool(bitOffset: number, v: boolean): void {
    const at = this.dataAt + (bitOffset >>> 3);
    const view = this.w.dataView();
    const mask = 1 << (bitOffset & 7);
    view.setUint8(at, v ? view.getUint8(at) | mask : view.getUint8(at) & ~mask);
  }

  text(index: number, v: string): void {
    this.w.textAt(this.ptrWord + index, v);
  }
  data(index: number, v: Uint8Array): void {
    this.w.dataAt(this.ptrWord + index, v);
  }
  struct(index: number, dataWords: number, pointerCount: number): StructWriter {
    return this.w.structAt(this.ptrWord + index, dataWords, pointerCount);
  }
  /** Non-composite list; returns the segment word of element 0 (see ListWriter in dynamic-encode). */
  list(index: number, size: ElementSize, length: number, bitsPerElement: number): number {
    return this.w.listAt(this.ptrWord + index, size, length, bitsPerElement);
  }
  structList(index: number, length: number, dataWords: number, pointerCount: number): StructWriter[] {
    return this.w.structListAt(this.ptrWord + index, length, dataWords, pointerCount);
  }
  /** Absolute byte offset of the data section (for schema-driven writers). */
  get dataByte(): number {
    return this.dataAt;
  }
  pointerWord(index: number): number {
    return this.ptrWord + index;
  }
}
