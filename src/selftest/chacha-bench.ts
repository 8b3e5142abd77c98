/**
 * chachaThroughput: ChaCha20-Poly1305 encryption on this page's thread, the WebAssembly SIMD kernel
 * against noble (the fallback) in interleaved rounds, best of each (MB per wall second: a page has no
 * CPU clock, so compare the two in the same run rather than the absolute figures).
 */
import { chachaEncryptInto, type ChachaBackend } from '../capsules/crypto/aead.ts';
import { chachaPolyKernel } from '../capsules/crypto/chacha-simd.ts';

export interface ChachaThroughput {
  /** False where the kernel did not compile (then "wasm" is noble too). */
  kernel: boolean;
  bytes: number;
  rounds: number;
  wasmMBps: number;
  nobleMBps: number;
}

export function chachaThroughput(bytes = 1 << 20, rounds = 5): ChachaThroughput {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 64 << 20)
    throw new RangeError(`chachaThroughput: bytes must be an integer in 1..${64 << 20}; got ${bytes}`);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50)
    throw new RangeError(`chachaThroughput: rounds must be an integer in 1..50; got ${rounds}`);
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const pt = new Uint8Array(bytes);
  for (let off = 0; off < bytes; off += 65536) crypto.getRandomValues(pt.subarray(off, off + 65536));
  const out = new Uint8Array(bytes + 16);
  const rate = (backend: ChachaBackend): number => {
    const run = () => chachaEncryptInto(key, nonce, new Uint8Array(0), pt, out, () => {}, backend);
    run();
    let n = 0;
    const t0 = performance.now();
    do {
      run();
      n++;
    } while (performance.now() - t0 < 250);
    return (n * bytes) / 1e6 / ((performance.now() - t0) / 1e3);
  };
  let wasm = 0,
    noble = 0;
  for (let r = 0; r < rounds; r++) {
    wasm = Math.max(wasm, rate('auto'));
    noble = Math.max(noble, rate('js'));
  }
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return { kernel: chachaPolyKernel() !== null, bytes, rounds, wasmMBps: r1(wasm), nobleMBps: r1(noble) };
}
