/**
 * Work-based prices (src/capsules/price.ts): every deterministic builtin method declares one, the
 * engine charges it instead of wall time (a job on a slow or busy machine costs the same), and the
 * budget is enforced on it. The engine's clock here jumps 1 s at every read: a wall-time charge
 * would be thousands of credits.
 */
import { describe, expect, it } from 'vitest';
import { builtinCapsules } from '../../../src/capsules/builtin.ts';
import { METHOD_PRICES, priceOf, RATES } from '../../../src/capsules/price.ts';
import { execute, type ExecuteOutcome } from '../../../src/engine/execute.ts';
import { CapsuleRegistry } from '../../../src/engine/registry.ts';
import { setBrotliLoader } from '../../../src/capsules/storage/index.ts';
import { nodeBrotliLoader } from '../../../src/capsules/storage/brotli-node.ts';
import { prng, seedFromEnv } from '../_prng.ts';

const SEED = seedFromEnv(20261128);
const MIB = 1 << 20;
const registry = new CapsuleRegistry(builtinCapsules);
setBrotliLoader(nodeBrotliLoader);

/** Methods whose output is not a pure function of params and input, or whose work is not counted yet. */
const UNPRICED = new Set([
  // Their answer depends on the contributor's own store.
  'storage.get',
  'storage.has',
  'storage.delete',
  // Deterministic, not priced yet (docs/CREDITS.md): wall time, and the quorum's lowest claim on the market.
  ...['batch', 'blur', 'brighten', 'contrast', 'crop', 'decode', 'encode', 'fliph', 'flipv', 'grayscale']
    .concat(['info', 'invert', 'resize', 'rotate180', 'rotate270', 'rotate90'])
    .map((m) => `image.${m}`),
  'physics.simulate',
  'physics.step',
  'physics.query',
  'ml.vad',
  'ml.ocr',
  'ml.classify',
  'ml.infer',
  'shader.execute',
  'shader.compile',
  // The local mint sizes its slices from costUsed as CPU ms (src/background/scheduler.ts), and a
  // GPU slice searches up to 2^32 nonces: pricing by hashes waits for that to change.
  'pow.search',
]);

function seeded(n: number): Uint8Array {
  const rand = prng(SEED + n);
  return Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
}

/** Runs one job with a clock that advances 1000 ms per read. */
async function run(
  library: string,
  method: string,
  params: object,
  input: Uint8Array,
  budget: number,
): Promise<ExecuteOutcome & { out: Uint8Array }> {
  let t = 0;
  let out = new Uint8Array(0);
  const r = await execute(registry, {
    library,
    method,
    params: JSON.stringify(params),
    input,
    budget,
    deadlineMs: 0,
    allocOutput: (n) => (out = new Uint8Array(n)),
    cancelled: () => false,
    clock: () => (t += 1000),
    wallClock: () => Date.now(),
  });
  return { ...r, out: r.output ? out : new Uint8Array(0) };
}

describe(`work-based prices (seed ${SEED})`, () => {
  it('every builtin method is priced or named unpriced here, and a capsule declares the table’s function', () => {
    console.info(`[price] seed ${SEED}`);
    const all: string[] = [];
    for (const c of builtinCapsules)
      for (const [name, m] of Object.entries(c.methods)) {
        const key = `${c.library}.${name}`;
        all.push(key);
        expect(m.price, key).toBe(priceOf(c.library, name));
        expect(m.price !== undefined || UNPRICED.has(key), `${key} has no price`).toBe(true);
      }
    for (const key of Object.keys(METHOD_PRICES)) expect(all).toContain(key);
    expect(priceOf('crypto', 'constructor')).toBeUndefined();
  });

  it('charges a priced job its price, not the wall time of its worker', async () => {
    const input = seeded(3 * MIB + 5);
    const r = await run('crypto', 'sha256', {}, input, 30_000);
    expect(r.status).toBe('ok');
    // 2 credits per MiB hashed (4 MiB rounded up: 8) + 4 MiB moved.
    expect(r.costUsed).toBe(
      Math.ceil((RATES.hash * input.length) / MIB) + Math.ceil((input.length + 32) / MIB),
    );
    expect(r.costUsed).toBe(
      METHOD_PRICES['crypto.sha256']!({ inputBytes: input.length, params: {}, output: r.out }),
    );
    // The same job priced again, on any machine, is the same number.
    expect((await run('crypto', 'sha256', {}, input, 30_000)).costUsed).toBe(r.costUsed);
  });

  it('prices each priced method of a seeded job the same way the requester would', async () => {
    const key = '11'.repeat(32);
    const cases: [string, string, object, Uint8Array][] = [
      ['crypto', 'sha512', {}, seeded(70_000)],
      ['crypto', 'blake3', {}, seeded(1)],
      ['crypto', 'hmac_sha256', { key }, seeded(2 * MIB)],
      ['crypto', 'chacha20poly1305_encrypt', { key, nonce: '00'.repeat(12) }, seeded(MIB + 1)],
      ['crypto', 'aes_gcm_encrypt', { key, iv: '00'.repeat(12) }, seeded(100_000)],
      ['crypto', 'ed25519_sign', { secretKey: key }, seeded(1000)],
      ['storage', 'compress', { quality: 3 }, seeded(300_000)],
    ];
    for (const [lib, m, params, input] of cases) {
      const r = await run(lib, m, params, input, 30_000);
      expect(r.status, `${lib}.${m}: ${r.error}`).toBe('ok');
      const p = priceOf(lib, m)!({
        inputBytes: input.length,
        params: JSON.parse(JSON.stringify(params)),
        output: r.out,
      });
      expect(r.costUsed, `${lib}.${m}`).toBe(p);
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(1000);
    }
  });

  it('refuses up front, at cost 0, a budget below the least price of the job', async () => {
    const input = seeded(2 * MIB);
    const r = await run(
      'crypto',
      'chacha20poly1305_encrypt',
      { key: '22'.repeat(32), nonce: '00'.repeat(12) },
      input,
      10,
    );
    expect(r.status).toBe('budgetExhausted');
    expect(r.costUsed).toBe(0);
    expect(r.error).toMatch(/budget of 10 credits cannot cover .* its price is at least \d+ credits/);
  });
});
