/**
 * noble vs WebCrypto for SHA-256, SHA-512 and AES-GCM, and noble vs WASM (hash-wasm) for BLAKE3, with
 * the input in a SharedArrayBuffer as in the pool, so the WebCrypto side pays for the copy it needs.
 * Not part of the unit run (slow, noisy):
 *
 *   npx tsx tests/unit/capsules/crypto/backends.bench.ts
 *
 * Each cell is the median of interleaved runs (noble, WebCrypto, noble, …) so load from other
 * processes hits both sides alike; run it twice and trust ratios, not absolute numbers.
 * The thresholds in src/capsules/crypto/hash.ts and aead.ts cite its output.
 */
import { aesGcmEncrypt, chachaEncryptInto } from '../../../../src/capsules/crypto/aead.ts';
import { blake3Digest, blake3Ready, shaDigest } from '../../../../src/capsules/crypto/hash.ts';

const SIZES = [1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20];
const noop = () => {};

function sharedRandom(n: number): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(n));
  const tmp = new Uint8Array(65536);
  for (let off = 0; off < n; off += tmp.length) {
    crypto.getRandomValues(tmp);
    out.set(tmp.subarray(0, Math.min(tmp.length, n - off)), off);
  }
  return out;
}

async function medians(fns: Array<() => unknown>, bytes: number): Promise<number[]> {
  const reps = bytes >= 4 << 20 ? 9 : bytes >= 256 << 10 ? 31 : 201;
  const times: number[][] = fns.map(() => []);
  for (const fn of fns) await fn(); // warm-up
  for (let r = 0; r < reps; r++)
    for (const [i, fn] of fns.entries()) {
      const t = performance.now();
      await fn();
      times[i]!.push(performance.now() - t);
    }
  return times.map((ts) => ts.sort((a, b) => a - b)[ts.length >> 1]!);
}

const fmt = (ms: number, bytes: number) =>
  `${ms.toFixed(3).padStart(8)} ms ${((bytes / (1 << 20) / ms) * 1000).toFixed(0).padStart(5)} MiB/s`;
const label = (n: number) => (n >= 1 << 20 ? `${n >> 20} MiB` : `${n >> 10} KiB`).padStart(7);

await blake3Ready;
const key = new Uint8Array(32).fill(7);
const iv = new Uint8Array(12).fill(1);
const aad = new Uint8Array(0);
console.log(
  `node ${process.version}; cells: median time, throughput; webcrypto includes the copy out of shared memory`,
);
for (const n of SIZES) {
  const input = sharedRandom(n);
  const out = new Uint8Array(new SharedArrayBuffer(n + 16));
  const [s256n, s256w, s512n, s512w, gcmN, gcmW, cha, b3, b3w] = await medians(
    [
      () => shaDigest('SHA-256', input, noop, 'noble'),
      () => shaDigest('SHA-256', input, noop, 'webcrypto'),
      () => shaDigest('SHA-512', input, noop, 'noble'),
      () => shaDigest('SHA-512', input, noop, 'webcrypto'),
      () => aesGcmEncrypt(key, iv, aad, input, noop, 'noble'),
      () => aesGcmEncrypt(key, iv, aad, input, noop, 'webcrypto'),
      () => chachaEncryptInto(key, iv, aad, input, out, noop),
      () => blake3Digest(input, noop, 'noble'),
      () => blake3Digest(input, noop, 'wasm'),
    ],
    n,
  );
  console.log(
    `${label(n)} | sha256 noble ${fmt(s256n!, n)} wc ${fmt(s256w!, n)} | sha512 noble ${fmt(s512n!, n)} wc ${fmt(s512w!, n)}` +
      ` | aes-gcm noble ${fmt(gcmN!, n)} wc ${fmt(gcmW!, n)} | chacha20poly1305 ${fmt(cha!, n)} | blake3 noble ${fmt(b3!, n)} wasm ${fmt(b3w!, n)}`,
  );
}
