/**
 * Calibration for the work-based prices (src/capsules/price.ts, docs/CREDITS.md "Work-based
 * prices"): runs each priced method once through the engine's `execute` on this thread and prints
 * milliseconds per MiB (or per operation, or hashes per millisecond for pow.search) and writes
 * bench/results/price-rates.json. Not a benchmark to loop; run it once when a rate is revisited:
 * `npx tsx bench/ledger/price-rates.ts`. Note the load it prints: rates from a busy machine say so.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { builtinCapsules } from '../../src/capsules/builtin.ts';
import { setBrotliLoader } from '../../src/capsules/storage/index.ts';
import { nodeBrotliLoader } from '../../src/capsules/storage/brotli-node.ts';
import { execute } from '../../src/engine/execute.ts';
import { CapsuleRegistry } from '../../src/engine/registry.ts';
import { mulberry32 } from '../../src/random/mulberry32.ts';

setBrotliLoader(nodeBrotliLoader);
const registry = new CapsuleRegistry(builtinCapsules);
const MIB = 1 << 20;
const rand = mulberry32(7);
const random = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
// Text compresses like real data; random bytes would make brotli look cheap.
// The C headers under /usr/include, as bench/capsules' corpus (make-corpus.sh) uses.
const corpus = (() => {
  const parts: Buffer[] = [];
  let size = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (size >= 8 * MIB) return;
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.h')) {
        const b = readFileSync(p);
        parts.push(b);
        size += b.length;
      }
    }
  };
  walk('/usr/include');
  return new Uint8Array(Buffer.concat(parts));
})();
const text = (n: number): Uint8Array => corpus.slice(0, n);

async function time(library: string, method: string, params: object, input: Uint8Array) {
  let out = new Uint8Array(0);
  const r = await execute(registry, {
    library,
    method,
    params: JSON.stringify(params),
    input,
    budget: 1e9,
    deadlineMs: 0,
    allocOutput: (n) => (out = new Uint8Array(n)),
    cancelled: () => false,
    clock: () => performance.now(),
    wallClock: () => Date.now(),
  });
  const t0 = performance.now();
  const again = await execute(registry, {
    library,
    method,
    params: JSON.stringify(params),
    input,
    budget: 1e9,
    deadlineMs: 0,
    allocOutput: (n) => (out = new Uint8Array(n)),
    cancelled: () => false,
    clock: () => performance.now(),
    wallClock: () => Date.now(),
  });
  const ms = performance.now() - t0;
  if (r.status !== 'ok' || again.status !== 'ok') throw new Error(`${library}.${method}: ${again.error}`);
  return { ms, out: out.length };
}

const key = '00'.repeat(32);
const rows: [string, string, number][] = [];
const perMib = async (label: string, lib: string, m: string, params: object, input: Uint8Array) => {
  const { ms } = await time(lib, m, params, input);
  rows.push([label, 'ms/MiB in', ms / (input.length / MIB)]);
};
const data = random(8 * MIB);
await perMib('crypto.sha256', 'crypto', 'sha256', {}, data);
await perMib('crypto.sha512', 'crypto', 'sha512', {}, data);
await perMib('crypto.blake3', 'crypto', 'blake3', {}, data);
await perMib('crypto.hmac_sha256', 'crypto', 'hmac_sha256', { key }, data);
await perMib(
  'crypto.chacha20poly1305',
  'crypto',
  'chacha20poly1305_encrypt',
  { key, nonce: '00'.repeat(12) },
  data,
);
await perMib('crypto.aes_gcm', 'crypto', 'aes_gcm_encrypt', { key, iv: '00'.repeat(12) }, data);
const msg = random(1024);
const sk = '01'.repeat(32);
await time('crypto', 'ed25519_sign', { secretKey: sk }, msg);
let signMs = 0;
for (let i = 0; i < 20; i++) signMs += (await time('crypto', 'ed25519_sign', { secretKey: sk }, msg)).ms;
rows.push(['crypto.ed25519_sign (1 KiB)', 'ms/op', signMs / 20]);
for (const q of [0, 3, 5, 7, 9, 11]) {
  const input = text(q >= 10 ? MIB : 4 * MIB);
  await perMib(`storage.compress q${q}`, 'storage', 'compress', { quality: q }, input);
}
const packed = await (async () => {
  let out = new Uint8Array(0);
  await execute(registry, {
    library: 'storage',
    method: 'compress',
    params: '{"quality":5}',
    input: text(8 * MIB),
    budget: 1e9,
    deadlineMs: 0,
    allocOutput: (n) => (out = new Uint8Array(n)),
    cancelled: () => false,
    clock: () => performance.now(),
    wallClock: () => Date.now(),
  });
  return out.slice();
})();
const d = await time('storage', 'decompress', {}, packed);
rows.push(['storage.decompress', 'ms/MiB out', d.ms / (d.out / MIB)]);
// pow.search over a whole range (a target no hash meets): hashes per ms of one worker's search.
const POW_COUNT = 1 << 23;
const pow = await time(
  'pow',
  'search',
  { header: '01'.repeat(80), nonceStart: 0, count: POW_COUNT, target: '0'.repeat(63) + '1' },
  new Uint8Array(0),
);
rows.push(['pow.search (2^23 nonces)', 'hashes/ms', POW_COUNT / pow.ms]);
const load = loadavg()
  .map((x) => x.toFixed(1))
  .join(' ');
console.log(`load ${load}`);
for (const [l, u, v] of rows) console.log(`${l.padEnd(32)} ${v.toFixed(2).padStart(9)} ${u}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/price-rates.json',
  `${JSON.stringify(
    {
      bench: 'bench/ledger/price-rates.ts',
      date: new Date().toISOString(),
      loadavg: load,
      note: 'one run; each method run once as warm-up, then timed once, through the engine execute() on one Node thread',
      rows: rows.map(([method, unit, v]) => ({ method, value: Number(v.toFixed(2)), unit })),
    },
    null,
    2,
  )}\n`,
);
