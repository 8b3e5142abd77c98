/** Hand-built frames for error-path tests. Words are [low u32, high u32] pairs, little-endian. */
export type Word = readonly [number, number];

export const NULL: Word = [0, 0];

export function structPtr(offset: number, dataWords: number, pointerCount: number): Word {
  return [((offset << 2) | 0) >>> 0, (dataWords | (pointerCount << 16)) >>> 0];
}

/** `size`: 0 void, 1 bit, 2 byte, 3 two bytes, 4 four, 5 eight, 6 pointer, 7 composite (count = words). */
export function listPtr(offset: number, size: number, count: number): Word {
  return [((offset << 2) | 1) >>> 0, (size | (count << 3)) >>> 0];
}

export function farPtr(segment: number, word: number, double = false): Word {
  return [((word << 3) | (double ? 4 : 0) | 2) >>> 0, segment >>> 0];
}

export function capPtr(index: number): Word {
  return [3, index];
}

/** Eight bytes as a word (for text/data contents). */
export function bytesWord(bytes: readonly number[]): Word {
  const b = [...bytes, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8);
  const v = new DataView(new Uint8Array(b).buffer);
  return [v.getUint32(0, true), v.getUint32(4, true)];
}

/** A complete stream frame from segments of words. */
export function frameOf(...segments: readonly (readonly Word[])[]): Uint8Array {
  const header = 4 + segments.length * 4 + (segments.length % 2 === 0 ? 4 : 0);
  const total = header + segments.reduce((n, s) => n + s.length * 8, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, segments.length - 1, true);
  segments.forEach((s, i) => v.setUint32(4 + i * 4, s.length, true));
  let at = header;
  for (const s of segments) {
    for (const [lo, hi] of s) {
      v.setUint32(at, lo, true);
      v.setUint32(at + 4, hi, true);
      at += 8;
    }
  }
  return out;
}
