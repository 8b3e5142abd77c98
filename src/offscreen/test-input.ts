import { mulberry32 } from '../random/mulberry32';

/**
 * Inputs for the test build's `test/storage-job`: compressible but not trivial (brotli has real work
 * on every piece), the same bytes for the same seed in the document and in the end-to-end test.
 */
export function testInputBytes(seed: number, bytes: number): Uint8Array {
  const rand = mulberry32(seed);
  return Uint8Array.from(
    { length: bytes },
    (_, i) => 97 + ((i >> 3) % 13) + (rand() < 0.2 ? (rand() * 5) | 0 : 0),
  );
}
