/**
 * `npm run bench:chacha` → bench/results/chacha.json: ChaCha20-Poly1305 encryption in one thread,
 * our WebAssembly SIMD kernel (src/capsules/crypto/chacha-simd.ts) and noble (the fallback) against
 * native in the same run: `openssl speed -seconds 2 -bytes 16384 -evp chacha20-poly1305` (as
 * bench-capsules.ts) and node:crypto (OpenSSL in-process). Rounds are interleaved (native, wasm, noble,
 * node:crypto, …) so load changes hit every variant alike; each figure is the best of its rounds.
 * Kernel parts on 64 KiB slabs: ChaCha20 alone (`xor`), Poly1305 alone (`mac`), both woven (`seal`,
 * what encryption runs), and `seal` generated without the ordering stores.
 * RESULTS=dir writes elsewhere (a bundled copy run on another machine).
 */
import { execFileSync } from 'node:child_process';
import * as nodeCrypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { chachaEncryptInto, type ChachaBackend } from '../../src/capsules/crypto/aead.ts';
import {
  buildChachaPolyBytes,
  chachaPolyKernel,
  DATA_BYTES,
  DEFAULT_OPTIONS,
  instantiate,
} from '../../src/capsules/crypto/chacha-simd.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SIZES = [16 << 10, 1 << 20, 16 << 20];
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r1 = (x: number) => Math.round(x * 10) / 10;

function openssl(): number {
  const out = execFileSync('openssl', [
    'speed',
    '-seconds',
    '2',
    '-bytes',
    '16384',
    '-evp',
    'chacha20-poly1305',
  ]).toString();
  const line = out.split('\n').find((l) => l.trim().toLowerCase().startsWith('chacha20-poly1305'));
  const kbps = Number(line?.trim().split(/\s+/).at(-1)?.replace(/k$/, ''));
  if (!Number.isFinite(kbps) || kbps <= 0) throw new Error(`unexpected openssl speed output: ${out}`);
  return kbps / 1000;
}

/**
 * MB/s of `fn` over `bytes`, repeated for ≥ 300 ms, per second of this process's CPU time (user +
 * system): `openssl speed` divides by its CPU user time too, so on a loaded machine both sides are
 * per core-second actually received, not per wall second. The process's other threads (V8's compiler
 * and GC) count against us.
 */
function rate(bytes: number, fn: () => void): number {
  fn();
  let n = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  do {
    fn();
    n++;
  } while (performance.now() - t0 < 300);
  const c = process.cpuUsage(c0);
  return (n * bytes) / 1e6 / ((c.user + c.system) / 1e6);
}

const key = nodeCrypto.randomBytes(32);
const nonce = nodeCrypto.randomBytes(12);
const aad = new Uint8Array(0);
const ours = (backend: ChachaBackend, pt: Uint8Array, out: Uint8Array) => () =>
  chachaEncryptInto(key, nonce, aad, pt, out, () => {}, backend);
const viaNode = (pt: Uint8Array) => () => {
  const e = nodeCrypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  e.update(pt);
  e.final();
  e.getAuthTag();
};

const kernel = chachaPolyKernel();
if (!kernel) throw new Error('the WebAssembly SIMD kernel did not compile here');
// The same kernel generated without the ordering stores (KernelOptions.anchors), for `seal` only.
const unanchored = instantiate(
  new WebAssembly.Module(
    buildChachaPolyBytes({ ...DEFAULT_OPTIONS, anchors: false }) as Uint8Array<ArrayBuffer>,
  ),
);
kernel.polyInit(nodeCrypto.randomBytes(16));
unanchored.polyInit(nodeCrypto.randomBytes(16));
const load0 = loadavg()[0]!;
const best: Record<string, number> = {};
const keep = (k: string, v: number) => (best[k] = Math.max(best[k] ?? 0, v));
for (let r = 0; r < ROUNDS; r++) {
  keep('openssl_speed_16KiB', openssl());
  for (const n of SIZES) {
    const pt = nodeCrypto.randomBytes(n);
    const out = new Uint8Array(n + 16);
    keep(`wasm_${n}`, rate(n, ours('auto', pt, out)));
    if (n <= 1 << 20) keep(`noble_${n}`, rate(n, ours('js', pt, out)));
    keep(`node_crypto_${n}`, rate(n, viaNode(pt)));
  }
  const slabs = 64;
  keep(
    'wasm_chacha20_only',
    rate(slabs * DATA_BYTES, () => {
      for (let i = 0; i < slabs; i++) kernel.xor(DATA_BYTES / 64, 1);
    }),
  );
  keep(
    'wasm_poly1305_only',
    rate(slabs * DATA_BYTES, () => {
      for (let i = 0; i < slabs; i++) kernel.mac(DATA_BYTES / 16);
    }),
  );
  for (const [name, k] of [
    ['wasm_seal_only', kernel],
    ['wasm_seal_without_anchors', unanchored],
  ] as const) {
    keep(
      name,
      rate(slabs * DATA_BYTES, () => {
        for (let i = 0; i < slabs; i++) k.seal(DATA_BYTES / k.groupBytes, 1);
      }),
    );
  }
  process.stdout.write(`round ${r + 1}/${ROUNDS}\n`);
}
const native = best['openssl_speed_16KiB']!;
const MiB = 1 << 20;
const result = {
  native_openssl_MBps: r1(native),
  node_crypto_1MiB_MBps: r1(best[`node_crypto_${MiB}`]!),
  wasm_MBps: Object.fromEntries(SIZES.map((n) => [`${n >> 10}KiB`, r1(best[`wasm_${n}`]!)])),
  noble_MBps: Object.fromEntries(
    SIZES.filter((n) => n <= MiB).map((n) => [`${n >> 10}KiB`, r1(best[`noble_${n}`]!)]),
  ),
  wasm_chacha20_only_MBps: r1(best['wasm_chacha20_only']!),
  wasm_poly1305_only_MBps: r1(best['wasm_poly1305_only']!),
  wasm_seal_only_MBps: r1(best['wasm_seal_only']!),
  wasm_seal_without_anchors_MBps: r1(best['wasm_seal_without_anchors']!),
  wasm_1MiB_vs_openssl_ratio: r3(best[`wasm_${MiB}`]! / native),
  wasm_1MiB_vs_node_crypto_ratio: r3(best[`wasm_${MiB}`]! / best[`node_crypto_${MiB}`]!),
  noble_1MiB_vs_openssl_ratio: r3(best[`noble_${MiB}`]! / native),
  wasm_vs_noble_1MiB: r3(best[`wasm_${MiB}`]! / best[`noble_${MiB}`]!),
  goal_ratio: 0.25,
  meta: {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadavg_1m_before_after: [r1(load0), r1(loadavg()[0]!)],
    rounds: ROUNDS,
    definition:
      'one thread, encryption of random bytes with empty AAD (ciphertext ‖ tag into a preallocated buffer); MB per second of CPU time (process.cpuUsage, as openssl speed divides by its CPU user time), best of interleaved rounds; openssl speed is one core, 16 KiB buffers',
  },
};
const path = join(process.env.RESULTS ?? join(import.meta.dirname, '..', 'results'), 'chacha.json');
writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
console.table({ ...result.wasm_MBps, native, ...result.noble_MBps });
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${path}`);
