import { describe, expect, it } from 'vitest';
import { createSimdKernelSync } from '../../../src/capsules/pow/dsha256-simd.ts';
import { bytesToHex, withNonce } from '../../../src/capsules/pow/header.ts';
import { parseSearchParams, type PowSearchResult } from '../../../src/capsules/pow/job.ts';
import {
  CpuSearch,
  mergeSearchResults,
  searchCpu,
  splitNonceRange,
} from '../../../src/capsules/pow/search-cpu.ts';
import { compactToTarget } from '../../../src/capsules/pow/target.ts';
import { BLOCK_VECTORS } from '../../../src/capsules/pow/vectors.ts';
import { SEED, nobleDisplayHash, nobleFirstNonce, prng, randomHeader } from './_helpers.ts';

const kernel = createSimdKernelSync();
const paths = [
  ['SIMD', kernel],
  ['scalar', null],
] as const;

/** The header with its nonce zeroed, as a search job receives it. */
const zeroed = (header: string): string =>
  bytesToHex(withNonce(Uint8Array.from(header.match(/../g)!.map((b) => parseInt(b, 16))), 0));

describe.each(paths)('CPU search (%s)', (_name, k) => {
  it.each(BLOCK_VECTORS)('finds the real nonce of block $height in a 4,096-nonce window', (v) => {
    const nonceStart = v.nonce - 2000 - (v.height % 7); // not aligned to the lane width
    const job = parseSearchParams({ header: zeroed(v.header), nonceStart, count: 4096, bits: v.bits });
    const r = searchCpu(job, { kernel: k });
    expect(r).toEqual({
      found: true,
      nonce: v.nonce,
      hash: v.hash,
      hashes: v.nonce - nonceStart + 1,
      stopped: null,
    });
  });

  it('reports not found, with every nonce counted, when the window misses', () => {
    const v = BLOCK_VECTORS[3]!;
    const job = parseSearchParams({
      header: zeroed(v.header),
      nonceStart: v.nonce + 1,
      count: 3001,
      bits: v.bits,
    });
    expect(searchCpu(job, { kernel: k })).toEqual({
      found: false,
      nonce: null,
      hash: null,
      hashes: 3001,
      stopped: null,
    });
  });

  it(`returns the FIRST nonce meeting an easy target, as @noble/hashes finds it (seed ${SEED})`, () => {
    const next = prng(SEED + 10);
    for (let i = 0; i < 6; i++) {
      const header = randomHeader(next);
      const bits = [0x2000ffff, 0x1f7fffff, 0x1f00ffff][i % 3]!; // ~1/256, 1/512, 1/65536 of nonces
      const nonceStart = next() % 1_000_000;
      const count = 3000 + (next() % 7);
      const expected = nobleFirstNonce(header, nonceStart, count, compactToTarget(bits));
      const r = searchCpu(parseSearchParams({ header: bytesToHex(header), nonceStart, count, bits }), {
        kernel: k,
      });
      expect(r.nonce, `seed ${SEED} case ${i}`).toBe(expected);
      if (expected !== null) expect(r.hash).toBe(nobleDisplayHash(header, expected));
    }
  });

  it('confirms candidates with the full 256-bit comparison (top word equal, lower words decide)', () => {
    // Target = the exact hash of one nonce: every nonce sharing its top word is a candidate, only
    // nonces whose hash is ≤ this value are accepted.
    const header = randomHeader(prng(SEED + 11));
    const hit = 777;
    const hash = nobleDisplayHash(header, hit);
    const exact = searchCpu(
      parseSearchParams({ header: bytesToHex(header), nonceStart: 700, count: 100, target: hash }),
      { kernel: k },
    );
    const firstLeq = nobleFirstNonce(header, 700, 100, BigInt('0x' + hash));
    expect(exact.nonce).toBe(firstLeq);
    const below = (BigInt('0x' + hash) - 1n).toString(16).padStart(64, '0');
    const r = searchCpu(
      parseSearchParams({ header: bytesToHex(header), nonceStart: hit, count: 1, target: below }),
      { kernel: k },
    );
    expect(r.found).toBe(false);
  });

  it('searches up to the very last nonce of the 32-bit space', () => {
    const header = randomHeader(prng(SEED + 12));
    const job = parseSearchParams({
      header: bytesToHex(header),
      nonceStart: 2 ** 32 - 9,
      count: 9,
      target: 'f'.repeat(64),
    });
    expect(searchCpu(job, { kernel: k }).nonce).toBe(2 ** 32 - 9);
    const last = parseSearchParams({
      header: bytesToHex(header),
      nonceStart: 2 ** 32 - 1,
      count: 1,
      target: 'f'.repeat(64),
    });
    expect(searchCpu(last, { kernel: k })).toMatchObject({
      found: true,
      nonce: 2 ** 32 - 1,
      hash: nobleDisplayHash(header, 2 ** 32 - 1),
    });
  });
});

describe('budget and cancellation between batches', () => {
  const impossible = (): ReturnType<typeof parseSearchParams> =>
    parseSearchParams({
      header: 'ab'.repeat(80),
      nonceStart: 0,
      count: 2 ** 32,
      target: '0'.repeat(63) + '1',
    });

  it('stops when shouldStop turns true, having hashed only whole batches', () => {
    let calls = 0;
    const r = searchCpu(impossible(), { kernel, shouldStop: () => ++calls > 3 });
    expect(r.stopped).toBe('cancelled');
    expect(r.found).toBe(false);
    expect(r.hashes).toBeGreaterThan(0);
    expect(calls).toBe(4);
  });

  it('stops on its time budget', () => {
    const t0 = performance.now();
    const r = searchCpu(impossible(), { kernel, budgetMs: 60 });
    const elapsed = performance.now() - t0;
    expect(r.stopped).toBe('budget');
    expect(elapsed).toBeGreaterThanOrEqual(60);
    // Overshoot is at most about one ~8 ms batch: a ratio to the budget, not an absolute that assumes an idle machine.
    expect(elapsed / 60).toBeLessThan(2);
  });

  it('sizes batches to ~batchMs (the stop check runs at least every ~10 ms)', () => {
    const search = new CpuSearch(impossible(), kernel, 8);
    const gaps: number[] = [];
    let last = performance.now();
    search.run(() => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
      return gaps.length > 40;
    });
    const steady = gaps.slice(10).sort((a, b) => a - b);
    expect(steady[Math.floor(steady.length / 2)]!).toBeLessThan(10);
    expect(steady[Math.floor(steady.length / 2)]!).toBeGreaterThan(2);
  });

  it('resumes where it stopped: the run continues to the same answer', () => {
    const v = BLOCK_VECTORS[2]!;
    const job = parseSearchParams({
      header: zeroed(v.header),
      nonceStart: v.nonce - 50_000,
      count: 60_000,
      bits: v.bits,
    });
    const search = new CpuSearch(job, kernel, 1);
    let stops = 0;
    let r: PowSearchResult | null = null;
    while (!r) r = search.run(() => ++stops % 2 === 0);
    expect(r).toMatchObject({ found: true, nonce: v.nonce, hashes: 50_001 });
  });
});

describe('splitting a range across workers', () => {
  it('covers the range exactly, in order, none empty', () => {
    expect(splitNonceRange(10, 10, 3)).toEqual([
      { nonceStart: 10, count: 4 },
      { nonceStart: 14, count: 3 },
      { nonceStart: 17, count: 3 },
    ]);
    expect(splitNonceRange(0, 2, 8)).toEqual([
      { nonceStart: 0, count: 1 },
      { nonceStart: 1, count: 1 },
    ]);
    const parts = splitNonceRange(2 ** 32 - 1000, 1000, 7);
    expect(parts.reduce((s, p) => s + p.count, 0)).toBe(1000);
    expect(parts.at(-1)!.nonceStart + parts.at(-1)!.count).toBe(2 ** 32);
    expect(() => splitNonceRange(0, 10, 0)).toThrow(RangeError);
  });

  it('split searches merge to the single-range answer', () => {
    const v = BLOCK_VECTORS[1]!;
    const params = { header: zeroed(v.header), bits: v.bits };
    const whole = searchCpu(parseSearchParams({ ...params, nonceStart: v.nonce - 3000, count: 6000 }), {
      kernel,
    });
    const parts = splitNonceRange(v.nonce - 3000, 6000, 4).map((p) =>
      searchCpu(parseSearchParams({ ...params, ...p }), { kernel }),
    );
    const merged = mergeSearchResults(parts);
    expect(merged.nonce).toBe(whole.nonce);
    expect(merged.hash).toBe(whole.hash);
    expect(merged.hashes).toBeGreaterThanOrEqual(whole.hashes);
  });
});
