/**
 * Work-based prices (src/capsules/price.ts): every deterministic builtin method declares one, the
 * engine charges it instead of wall time (a job on a slow or busy machine costs the same), and the
 * budget is enforced on it. The engine's clock here jumps 1 s at every read: a wall-time charge
 * would be thousands of credits.
 */
import { describe, expect, it, vi } from 'vitest';
import { builtinCapsules } from '../../../src/capsules/builtin.ts';
import {
  METHOD_PRICES,
  powSearchHashes,
  powSearchMaxPrice,
  priceBoundOf,
  priceOf,
  RATES,
  UNPRICED_REASONS,
} from '../../../src/capsules/price.ts';
import { powCapsule } from '../../../src/capsules/pow/capsule.ts';
import { targetToCompact } from '../../../src/capsules/pow/target.ts';
import {
  localPowBudget,
  localPowParams,
  MAX_SLICE_HASHES,
  POW_COST_CAP,
} from '../../../src/scheduler/local-pow.ts';
import type { ExecuteOutcome } from '../../../src/engine/execute.ts';
import { runOnThread, steppingClock } from '../../_run-job.ts';
import { CapsuleRegistry } from '../../../src/engine/registry.ts';
import { setBrotliLoader } from '../../../src/capsules/storage/index.ts';
import { nodeBrotliLoader } from '../../../src/capsules/storage/brotli-node.ts';
import { prng, seedFromEnv } from '../_prng.ts';

const SEED = seedFromEnv(20261128);
const MIB = 1 << 20;
const registry = new CapsuleRegistry(builtinCapsules);
setBrotliLoader(nodeBrotliLoader);

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
  return runOnThread(registry, { library, method, params, input, budget, clock: steppingClock(1000) });
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
        // A priced method bounds its price before the job runs (the engine's run-time bound).
        expect(m.priceBound, `${key} bound`).toBe(priceBoundOf(c.library, name));
        expect(m.priceBound !== undefined, `${key}: a bound with its price`).toBe(m.price !== undefined);
        // Priced, or unpriced with its reason written down; never both.
        expect(m.price !== undefined, `${key}: priced or a reason`).toBe(
          !Object.hasOwn(UNPRICED_REASONS, key),
        );
      }
    for (const key of Object.keys(METHOD_PRICES)) expect(all).toContain(key);
    for (const key of Object.keys(UNPRICED_REASONS)) expect(all).toContain(key);
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
      // Its bound, known before the job ran, is at least its price.
      const shape = { inputBytes: input.length, params: JSON.parse(JSON.stringify(params)), input };
      expect(priceBoundOf(lib, m)!(shape), `${lib}.${m} bound`).toBeGreaterThanOrEqual(p);
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

  it('prices pow.search by the nonces its result accounts for, not its wall time or its own hashes field', async () => {
    const rand = prng(SEED + 7);
    const header = Array.from({ length: 80 }, () => ((rand() * 256) | 0).toString(16).padStart(2, '0')).join(
      '',
    );
    // About one hash in 2^12 meets this target: a 2^16 range holds a proof, found after some nonces.
    const easy = { header, nonceStart: 1000, count: 1 << 16, bits: targetToCompact(2n ** 244n - 1n) };
    const found = await run('pow', 'search', easy, new Uint8Array(0), 120_000);
    expect(found.status, found.error).toBe('ok');
    const result = JSON.parse(new TextDecoder().decode(found.out)) as {
      found: boolean;
      nonce: number;
      hashes: number;
    };
    expect(result.found).toBe(true);
    const hashes = result.nonce - easy.nonceStart + 1;
    expect(powSearchHashes(easy, found.out)).toBe(hashes);
    expect(found.costUsed).toBe(Math.ceil(hashes / RATES.powHashesPerCredit) + 1);
    // No proof in the range (a target no hash meets): the whole range was hashed.
    const none = { header, nonceStart: 0, count: 20_000, target: '0'.repeat(63) + '1' };
    const empty = await run('pow', 'search', none, new Uint8Array(0), 120_000);
    expect(empty.status, empty.error).toBe('ok');
    expect(empty.costUsed).toBe(Math.ceil(20_000 / RATES.powHashesPerCredit) + 1);
    expect(empty.costUsed).toBe(powSearchMaxPrice(20_000));
    expect(priceBoundOf('pow', 'search')!({ inputBytes: 0, params: none })).toBe(empty.costUsed);
    // A result that claims more hashes than its nonce accounts for is priced by the nonce.
    const forged = new TextEncoder().encode(JSON.stringify({ ...result, hashes: 1 << 16 }));
    expect(powSearchHashes(easy, forged)).toBe(hashes);
    // An output that proves nothing (stopped early, unreadable, a nonce outside the range) is 0 hashes.
    const text = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    expect(powSearchHashes(none, text({ found: false, nonce: null, stopped: 'budget', hashes: 9 }))).toBe(0);
    expect(powSearchHashes(none, Uint8Array.of(0x7b))).toBe(0);
    expect(powSearchHashes(easy, text({ found: true, nonce: 5, stopped: null }))).toBe(0);
    expect(powSearchHashes({ count: 'x' }, empty.out)).toBe(0);
    // A budget below the price of the range found is stopped and charged the budget, its output dropped.
    const short = await run('pow', 'search', none, new Uint8Array(0), 3);
    expect(short).toMatchObject({ status: 'budgetExhausted', costUsed: 3 });
  });

  it("sizes the local mint's slices within the pow cost cap, budgeted at their whole range's price", () => {
    expect(POW_COST_CAP).toBe(powCapsule.limits.costCap);
    expect(MAX_SLICE_HASHES).toBeLessThanOrEqual(2 ** 32);
    // A GPU measured at 10^6 hashes per ms would want 10^10 nonces in 10 s: the cap shortens it.
    const gpu = localPowParams('ab'.repeat(32), 1, 1_764_000_000_000, 1e6);
    const count = (JSON.parse(gpu) as { count: number }).count;
    expect(count).toBe(MAX_SLICE_HASHES);
    expect(localPowBudget(gpu)).toBe(powSearchMaxPrice(count));
    expect(localPowBudget(gpu)).toBeLessThanOrEqual(POW_COST_CAP);
    const cpu = localPowParams('ab'.repeat(32), 2, 1_764_000_000_000, 3000);
    expect((JSON.parse(cpu) as { count: number }).count).toBe(30_000_000);
    expect(localPowBudget(cpu)).toBe(Math.ceil(30_000_000 / RATES.powHashesPerCredit) + 1);
  });

  it('prices storage.get by the blob it returns: every chunk decrypted, decompressed and re-hashed', () => {
    const blob = seeded(3 * MIB + 1);
    const get = priceOf('storage', 'get')!;
    const params = { address: 'ab'.repeat(32) };
    expect(get({ inputBytes: 0, params, output: blob })).toBe(
      Math.ceil(((RATES.decompress + RATES.chacha + RATES.hash) * blob.length) / MIB) + 4,
    );
    expect(get({ inputBytes: 0, params, output: new Uint8Array(0) })).toBe(0);
  });

  it("prices an output in shared memory (the browser pool's arena) as the same bytes unshared", () => {
    // Chromium's TextDecoder refuses a view of a SharedArrayBuffer; Node's does not, so it is
    // stubbed here to refuse like Chromium's (the ml e2e test found ml.ocr failing on it).
    const Real = TextDecoder;
    class ChromiumDecoder extends Real {
      override decode(input?: AllowSharedBufferSource, options?: TextDecodeOptions): string {
        if (ArrayBuffer.isView(input) && input.buffer instanceof SharedArrayBuffer)
          throw new TypeError(
            "Failed to execute 'decode' on 'TextDecoder': The provided ArrayBufferView value must not be shared.",
          );
        return super.decode(input, options);
      }
    }
    const plain = new TextEncoder().encode(
      JSON.stringify({ found: false, nonce: null, stopped: null, hashes: 9 }),
    );
    const shared = new Uint8Array(new SharedArrayBuffer(plain.length));
    shared.set(plain);
    const params = { nonceStart: 0, count: 20_000 };
    vi.stubGlobal('TextDecoder', ChromiumDecoder);
    try {
      const job = (output: Uint8Array) => priceOf('pow', 'search')!({ inputBytes: 0, params, output });
      expect(job(shared)).toBe(job(plain));
      expect(job(shared)).toBe(Math.ceil(20_000 / RATES.powHashesPerCredit) + 1);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
