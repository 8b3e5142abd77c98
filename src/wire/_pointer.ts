/**
 * Pointer resolution with every bound checked (capnproto.org/encoding.html#pointers).
 *
 * Pointer word, little-endian, low 32 bits first:
 * | kind (bits 0-1) | struct (0)                  | list (1)                         | far (2)                         |
 * |-----------------|-----------------------------|----------------------------------|---------------------------------|
 * | bits 2-31       | signed word offset from the end of the pointer to the target     || bit 2: double-far; 3-31: pad word |
 * | bits 32-63      | data words u16, pointer count u16 | element size (3 bits), count (29 bits) | segment id         |
 *
 * Kind 3 is a capability, which frames on the job bus never carry. Targets must lie inside their
 * segment; every resolved object is charged to a traversal budget (the C++ reference's defence
 * against frames whose pointers all alias one large object) and nesting is capped by the caller.
 */
import type { Frame } from './_frame.ts';
import { FrameError } from './frame-error.ts';

export const ElementSize = {
  VOID: 0,
  BIT: 1,
  BYTE: 2,
  TWO_BYTES: 3,
  FOUR_BYTES: 4,
  EIGHT_BYTES: 5,
  POINTER: 6,
  COMPOSITE: 7,
} as const;
export type ElementSize = (typeof ElementSize)[keyof typeof ElementSize];

export const ELEMENT_BITS: readonly number[] = [0, 1, 8, 16, 32, 64, 64, 0];
const ELEMENT_NAMES = ['void', '1-bit', '1-byte', '2-byte', '4-byte', '8-byte', 'pointer', 'struct'];

export function describeElementSize(size: number): string {
  return `list of ${ELEMENT_NAMES[size] ?? '?'} elements`;
}

export interface DecodeLimits {
  /** Words the decoder may visit in total, counting aliased objects each time (C++ default: 8 Mi words = 64 MiB). */
  readonly traversalWords: number;
  /** Struct/list nesting depth (C++ default: 64). */
  readonly nesting: number;
}

export const DEFAULT_LIMITS: DecodeLimits = { traversalWords: 8 * 1024 * 1024, nesting: 64 };

export interface StructTarget {
  readonly kind: 'struct';
  readonly seg: number;
  /** Word index of the data section within the segment. */
  readonly word: number;
  readonly dataWords: number;
  readonly pointerCount: number;
}

export interface ListTarget {
  readonly kind: 'list';
  readonly seg: number;
  /** Word index of the first element (after the tag for composite lists). */
  readonly word: number;
  readonly elementSize: ElementSize;
  readonly length: number;
  /** Composite lists only: each element's sections. */
  readonly dataWords: number;
  readonly pointerCount: number;
}

export type Target = StructTarget | ListTarget;

/**
 * Error paths are built only when an error is thrown: `base` is the owner's path, `field` a field
 * name or list index. Building them eagerly cost a string allocation per field read.
 */
export function pathOf(base: string, field: string | number): string {
  if (field === '') return base;
  return typeof field === 'number' ? `${base}[${field}]` : `${base}.${field}`;
}

/** Mutable per-decode state shared by all readers of one frame. */
export class ReadContext {
  readonly frame: Frame;
  readonly limits: DecodeLimits;
  private traversalLeft: number;

  constructor(frame: Frame, limits: DecodeLimits) {
    this.frame = frame;
    this.limits = limits;
    this.traversalLeft = limits.traversalWords;
  }

  /** Absolute byte offset in the frame of word `word` of segment `seg`. */
  byteOf(seg: number, word: number): number {
    const s = this.frame.segments[seg];
    if (s === undefined) throw new FrameError('internal', `segment ${seg} vanished`);
    return s.start + word * 8;
  }

  charge(words: number, base: string, field: string | number): void {
    this.traversalLeft -= words;
    if (this.traversalLeft < 0) {
      throw new FrameError(
        'limit',
        `traversal limit of ${this.limits.traversalWords} words exceeded (pointers alias the same data or the frame is too large)`,
        pathOf(base, field),
      );
    }
  }

  /** Resolves the pointer stored at word `word` of segment `seg`; null for a null pointer. */
  resolve(seg: number, word: number, base: string, field: string | number): Target | null {
    const view = this.frame.view;
    const at = this.byteOf(seg, word);
    const lo = view.getUint32(at, true);
    const hi = view.getUint32(at + 4, true);
    if (lo === 0 && hi === 0) return null;
    const kind = lo & 3;
    if (kind === 3)
      throw new FrameError(
        'unsupported',
        'capability pointer; frames carry no interfaces',
        pathOf(base, field),
      );
    if (kind !== 2) return this.object(seg, word + 1 + (lo >> 2), kind, hi, base, field);

    const padSeg = hi;
    const padWord = lo >>> 3;
    const isDouble = (lo & 4) !== 0;
    this.checkRange(padSeg, padWord, isDouble ? 2 : 1, 'far pointer landing pad', base, field);
    const padAt = this.byteOf(padSeg, padWord);
    const padLo = view.getUint32(padAt, true);
    const padHi = view.getUint32(padAt + 4, true);
    if (!isDouble) {
      if ((padLo & 3) === 2) {
        throw new FrameError(
          'pointer-kind',
          "far pointer's landing pad is another far pointer",
          pathOf(base, field),
        );
      }
      if ((padLo & 3) === 3)
        throw new FrameError(
          'unsupported',
          'capability pointer; frames carry no interfaces',
          pathOf(base, field),
        );
      if (padLo === 0 && padHi === 0) return null;
      return this.object(padSeg, padWord + 1 + (padLo >> 2), padLo & 3, padHi, base, field);
    }
    // Double far: pad word 0 is a plain far pointer to the content, pad word 1 is a tag describing it.
    if ((padLo & 7) !== 2) {
      throw new FrameError(
        'pointer-kind',
        'double-far landing pad does not start with a single far pointer',
        pathOf(base, field),
      );
    }
    const tagLo = view.getUint32(padAt + 8, true);
    const tagHi = view.getUint32(padAt + 12, true);
    const tagKind = tagLo & 3;
    if (tagKind > 1) {
      throw new FrameError(
        'pointer-kind',
        'double-far tag is not a struct or list pointer',
        pathOf(base, field),
      );
    }
    return this.object(padHi, padLo >>> 3, tagKind, tagHi, base, field);
  }

  private object(
    seg: number,
    word: number,
    kind: number,
    hi: number,
    base: string,
    field: string | number,
  ): Target {
    if (kind === 0) {
      const dataWords = hi & 0xffff;
      const pointerCount = hi >>> 16;
      this.checkRange(seg, word, dataWords + pointerCount, 'struct', base, field);
      this.charge(dataWords + pointerCount, base, field);
      return { kind: 'struct', seg, word, dataWords, pointerCount };
    }
    const elementSize = (hi & 7) as ElementSize;
    const count = hi >>> 3;
    if (elementSize === ElementSize.COMPOSITE) {
      // `count` is the word count of all elements; the tag word before them holds the element count.
      this.checkRange(seg, word, count + 1, 'struct list', base, field);
      const tagAt = this.byteOf(seg, word);
      const tagLo = this.frame.view.getInt32(tagAt, true);
      const tagHi = this.frame.view.getUint32(tagAt + 4, true);
      if ((tagLo & 3) !== 0) {
        throw new FrameError('pointer-kind', 'struct list tag is not a struct pointer', pathOf(base, field));
      }
      const length = tagLo >> 2;
      const dataWords = tagHi & 0xffff;
      const pointerCount = tagHi >>> 16;
      if (length < 0 || length * (dataWords + pointerCount) > count) {
        throw new FrameError(
          'out-of-bounds',
          `struct list claims ${length} elements of ${dataWords + pointerCount} words in ${count} words`,
          pathOf(base, field),
        );
      }
      // Zero-sized elements cost nothing to store, so charge one word each: bounds the work per frame.
      this.charge(Math.max(count, length), base, field);
      return { kind: 'list', seg, word: word + 1, elementSize, length, dataWords, pointerCount };
    }
    const bits = ELEMENT_BITS[elementSize] ?? 0;
    const words = Math.ceil((count * bits) / 64);
    this.checkRange(seg, word, words, describeElementSize(elementSize), base, field);
    this.charge(elementSize === ElementSize.VOID ? count : words, base, field);
    return { kind: 'list', seg, word, elementSize, length: count, dataWords: 0, pointerCount: 0 };
  }

  private checkRange(
    seg: number,
    word: number,
    words: number,
    what: string,
    base: string,
    field: string | number,
  ): void {
    const s = this.frame.segments[seg];
    if (s === undefined) {
      throw new FrameError(
        'out-of-bounds',
        `${what} is in segment ${seg} but the frame has ${this.frame.segments.length} segment(s)`,
        pathOf(base, field),
      );
    }
    if (word < 0 || word + words > s.words) {
      throw new FrameError(
        'out-of-bounds',
        `${what} at words [${word}, ${word + words}) lies outside segment ${seg} (${s.words} words)`,
        pathOf(base, field),
      );
    }
  }
}
