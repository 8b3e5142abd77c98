/**
 * SHA-256, SHA-512 (FIPS 180-4), BLAKE3 and HMAC-SHA256 (RFC 2104) over a job's input.
 *
 * Noble hashes incrementally in chunks with a checkpoint between them. WebCrypto (native, SHA-NI) is
 * faster for large inputs but is one opaque call over a non-shared copy of the input: it takes over
 * from the size where it measured faster *including that copy* (see WEBCRYPTO_FROM and
 * tests/unit/capsules/crypto/backends.bench.ts). WebCrypto runs off the JS thread (Node's thread pool,
 * Chromium's crypto worker), so the job's thread stays free while it works.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { createBLAKE3, type IHasher } from 'hash-wasm';
import { forEachChunk, unshared } from './_bytes.ts';

export type ShaAlgorithm = 'SHA-256' | 'SHA-512';
/** `auto` picks per input size; the others force one path (tests run every vector through both). */
export type HashBackend = 'auto' | 'noble' | 'webcrypto';

/**
 * Chunk sizes for the noble paths: ~5 ms of work each at the slowest speeds backends.bench.ts measured
 * in Node 20 on a loaded 2-core machine (sha256 ~110 MiB/s, sha512 ~52 MiB/s, blake3 ~28 MiB/s; an
 * idle run gave ~178, ~93, ~43), so a device twice as slow still checkpoints about every 10 ms.
 */
export const NOBLE_CHUNK = { 'SHA-256': 512 << 10, 'SHA-512': 256 << 10, BLAKE3: 128 << 10 } as const;

/**
 * Inputs of at least this many bytes go to WebCrypto: the smallest size at which WebCrypto, copy out
 * of shared memory included, was at least 1.5× faster than noble in two runs of backends.bench.ts
 * (Node 20, 2 cores shared with other work; noble / WebCrypto medians, run 1 | run 2):
 *
 *   bytes   | SHA-256                          | SHA-512
 *   4 KiB   | 0.042/0.073 | 0.026/0.040 ms     | 0.078/0.062 | 0.046/0.034 ms
 *   16 KiB  | 0.141/0.120 | 0.088/0.066 ms     | 0.270/0.093 | 0.166/0.054 ms  ← SHA-512 from here
 *   64 KiB  | 0.596/0.320 | 0.359/0.261 ms     | 1.19/0.196  | 0.676/0.133 ms
 *   256 KiB | 2.53/0.604  | 1.40/0.432 ms      | 4.85/0.760  | 2.66/0.440 ms   ← SHA-256 from here
 *   1 MiB   | 8.88/1.65   | 5.56/1.68 ms       | 17.8/6.71   | 10.7/4.93 ms
 *   16 MiB  | 116/17.0    | 213/43.2 ms        | 220/28.7    | 419/57.0 ms
 *
 * Below the threshold the difference is < 0.1 ms either way. No upper bound: WebCrypto kept winning
 * at 16 MiB, where the copy costs 2–5 ms (a fresh 16 MiB allocation can cost far more when the
 * machine is short of free pages; the median hides that). Measured in Node only: Chromium posts
 * WebCrypto work to another thread, so its fixed cost is likely higher — re-measure there.
 */
export const WEBCRYPTO_FROM: Record<ShaAlgorithm, number> = { 'SHA-256': 256 << 10, 'SHA-512': 16 << 10 };

export function useWebCrypto(alg: ShaAlgorithm, bytes: number, backend: HashBackend): boolean {
  if (backend !== 'auto') return backend === 'webcrypto';
  return bytes >= WEBCRYPTO_FROM[alg] && typeof globalThis.crypto?.subtle?.digest === 'function';
}

const NOBLE = { 'SHA-256': sha256, 'SHA-512': sha512 } as const;

export async function shaDigest(
  alg: ShaAlgorithm,
  input: Uint8Array,
  checkpoint: () => void,
  backend: HashBackend = 'auto',
): Promise<Uint8Array> {
  if (useWebCrypto(alg, input.length, backend)) {
    checkpoint();
    return new Uint8Array(await globalThis.crypto.subtle.digest(alg, unshared(input)));
  }
  const h = NOBLE[alg].create();
  forEachChunk(input, NOBLE_CHUNK[alg], checkpoint, (v) => h.update(v));
  return h.digest();
}

/**
 * BLAKE3 runs on hash-wasm's WebAssembly build (no eval / new Function: its module is compiled with
 * WebAssembly.compile, which the extension's 'wasm-unsafe-eval' allows). One hasher per thread,
 * created when this module loads; `blake3Ready` settles once it exists or failed, and until then or
 * after a failure BLAKE3 falls back to noble. Measured in one interleaved run (Node 20, loaded 2-core
 * machine, input in a SharedArrayBuffer): noble ~23–28 MB/s, WASM ~680 MB/s at 1 and 16 MiB. The WASM
 * hasher copies each update into its own memory (16 KiB at a time), so shared-memory views are fine.
 */
let wasmBlake3: IHasher | null = null;
export const blake3Ready: Promise<void> = createBLAKE3().then(
  (h) => {
    wasmBlake3 = h;
  },
  () => {}, // no WebAssembly here (or it failed to compile): noble it is
);

/** Chunk for the WASM path: ~1.5 ms at the ~680 MB/s measured, so ~15 ms on a device 10× slower. */
export const WASM_BLAKE3_CHUNK = 1 << 20;

export type Blake3Backend = 'auto' | 'noble' | 'wasm';

/**
 * BLAKE3 with its default 32-byte output. `auto` uses WASM when it is ready (await `blake3Ready` to
 * make sure), else noble; `wasm` throws if it is not ready. Synchronous: the storage capsule calls it
 * inline. The one hasher is shared, but each call re-inits it and runs without yielding, so a call
 * stopped by a checkpoint leaves nothing behind for the next one.
 */
export function blake3Digest(
  input: Uint8Array,
  checkpoint: () => void,
  backend: Blake3Backend = 'auto',
): Uint8Array {
  const w = backend === 'noble' ? null : wasmBlake3;
  if (w) {
    w.init();
    forEachChunk(input, WASM_BLAKE3_CHUNK, checkpoint, (v) => w.update(v));
    return w.digest('binary');
  }
  if (backend === 'wasm') throw new Error('the WASM BLAKE3 hasher is not ready (await blake3Ready)');
  const h = blake3.create();
  forEachChunk(input, NOBLE_CHUNK.BLAKE3, checkpoint, (v) => h.update(v));
  return h.digest();
}

/**
 * HMAC-SHA256. Its cost is the SHA-256 of the message plus four blocks, so it takes the SHA-256
 * threshold. Keys of any length are allowed (RFC 2104 §3: longer ones are hashed first).
 */
export async function hmacSha256(
  key: Uint8Array,
  input: Uint8Array,
  checkpoint: () => void,
  backend: HashBackend = 'auto',
): Promise<Uint8Array> {
  if (useWebCrypto('SHA-256', input.length, backend)) {
    checkpoint();
    const subtle = globalThis.crypto.subtle;
    // An empty raw HMAC key is refused by WebCrypto's importKey; noble handles it (RFC 4231 has none).
    if (key.length > 0) {
      const k = await subtle.importKey('raw', unshared(key), { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
      ]);
      return new Uint8Array(await subtle.sign('HMAC', k, unshared(input)));
    }
  }
  const h = hmac.create(sha256, key);
  forEachChunk(input, NOBLE_CHUNK['SHA-256'], checkpoint, (v) => h.update(v));
  return h.digest();
}
