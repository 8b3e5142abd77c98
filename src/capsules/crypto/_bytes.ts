/**
 * Byte helpers shared by the crypto methods: chunked passes with checkpoints, and the copy WebCrypto
 * needs. Internal to the crypto capsule (and reused by the storage capsule).
 */

/**
 * Calls `fn` on consecutive views of at most `chunk` bytes and `checkpoint()` before each one, so a
 * long pass stops within one chunk of a cancel. Views, never copies: the input may be the shared arena.
 * An empty input still gets one (empty) call, so streaming hashes see a well-defined sequence.
 */
export function forEachChunk(
  input: Uint8Array,
  chunk: number,
  checkpoint: () => void,
  fn: (view: Uint8Array, offset: number) => void,
): void {
  if (input.length === 0) {
    fn(input, 0);
    return;
  }
  for (let off = 0; off < input.length; off += chunk) {
    checkpoint();
    fn(input.subarray(off, Math.min(input.length, off + chunk)), off);
  }
}

/**
 * The bytes over a plain ArrayBuffer: the same memory when it already is one, else a copy.
 * WebCrypto and TextDecoder reject views of a SharedArrayBuffer (the pool's arena).
 */
export function unshared(view: Uint8Array): Uint8Array<ArrayBuffer> {
  const buf = view.buffer;
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf, view.byteOffset, view.byteLength);
  return view.slice();
}

/** Compares in time independent of where the first difference is (tags, hashes). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
