import { afterAll, describe, expect, it } from 'vitest';
import {
  GpuDeviceLostError,
  GpuPowSearcher,
  pickBackend,
  powSearch,
} from '../../../src/capsules/pow/index.ts';
import { buildPowShader } from '../../../src/capsules/pow/shader.wgsl.ts';
import { buildNoncePlan } from '../../../src/capsules/pow/_plan.ts';
import { bytesToHex } from '../../../src/capsules/pow/header.ts';
import { parseSearchParams } from '../../../src/capsules/pow/job.ts';
import { searchCpu } from '../../../src/capsules/pow/search-cpu.ts';
import { BLOCK_VECTORS } from '../../../src/capsules/pow/vectors.ts';
import { SEED, nobleDisplayHash, nobleFirstNonce, prng, randomHeader } from './_helpers.ts';
import { testGpu } from './_gpu.ts';
import { need } from '../../_tools.ts';
import { powGpuSelfTest } from '../../../src/capsules/pow/gpu-self-test.ts';

const gpu = await testGpu();
need('a WebGPU adapter from Dawn (vulkan, or opengles through Mesa)', gpu !== null, 'the pow GPU suite');

describe('WGSL shader text', () => {
  const wgsl = buildPowShader(buildNoncePlan());
  it('is straight-line SSA: no message-schedule array, no loops over rounds', () => {
    expect(wgsl).not.toMatch(/array<u32,\s*64>|var\s+w/);
    expect(wgsl.match(/for \(/g)).toHaveLength(1); // only the nonces-per-invocation loop
    expect(wgsl).toContain('@workgroup_size(128)');
    expect(wgsl).toContain('atomicMin(&R.min_nonce, nonce)');
  });
});

describe('pickBackend', () => {
  it('takes the GPU only when there is one and it is faster', () => {
    expect(pickBackend(10, null)).toBe('cpu');
    expect(pickBackend(10, 6500)).toBe('gpu');
    expect(pickBackend(10, 8)).toBe('cpu');
  });
});

describe.skipIf(!gpu)(`GPU search (${gpu?.name ?? 'no adapter'})`, async () => {
  const searcher = gpu ? await GpuPowSearcher.create(gpu.device) : (null as never);
  afterAll(() => searcher?.destroy());

  it.each(BLOCK_VECTORS)(
    'finds the real nonce of block $height in a 6,000-nonce window (nonce zeroed)',
    async (v) => {
      const header = v.header.slice(0, 152) + '00000000';
      const job = parseSearchParams({ header, nonceStart: v.nonce - 3000, count: 6000, bits: v.bits });
      expect(await searcher.search(job)).toEqual({
        found: true,
        nonce: v.nonce,
        hash: v.hash,
        hashes: 3001,
        stopped: null,
      });
    },
  );

  it(`agrees with the CPU and @noble/hashes on random headers (seed ${SEED})`, async () => {
    const next = prng(SEED + 30);
    for (let i = 0; i < 6; i++) {
      const header = randomHeader(next);
      const bits = [0x2000ffff, 0x1f00ffff, 0x1e7fffff][i % 3]!;
      const job = parseSearchParams({
        header: bytesToHex(header),
        nonceStart: next() % 1000,
        count: 3_000_000,
        bits,
      });
      const g = await searcher.search(job);
      expect(g, `seed ${SEED} case ${i}`).toEqual(searchCpu(job));
      if (g.nonce !== null) expect(g.hash).toBe(nobleDisplayHash(header, g.nonce));
    }
  });

  it('confirms candidates on the CPU and resumes after a false one', async () => {
    const header = randomHeader(prng(SEED + 31));
    const x = 4242;
    // Target = nonce x's top word with zeros below: x passes the GPU's top-word test, fails the full check.
    const top = nobleDisplayHash(header, x).slice(0, 8);
    const target = top + '0'.repeat(56);
    const single = await searcher.search(
      parseSearchParams({ header: bytesToHex(header), nonceStart: x, count: 1, target }),
    );
    expect(single).toEqual({ found: false, nonce: null, hash: null, hashes: 1, stopped: null });
    const wide = await searcher.search(
      parseSearchParams({ header: bytesToHex(header), nonceStart: x, count: 20_000, target }),
    );
    expect(wide.nonce).toBe(nobleFirstNonce(header, x, 20_000, BigInt('0x' + target)));
  });

  // Batches are sized to ~40 ms of wall time, so an abort lands within about one batch. Measured against
  // how long the search had already run (not an absolute bound, which a busy machine would break): a
  // search that ignored the signal would run for hours.
  it('acts on abort within a fraction of the time it had been running', async () => {
    const ctrl = new AbortController();
    const job = parseSearchParams({
      header: 'ef'.repeat(80),
      nonceStart: 0,
      count: 2 ** 32,
      target: '0'.repeat(63) + '1',
    });
    let abortedAt = 0;
    const started = performance.now();
    setTimeout(() => {
      abortedAt = performance.now();
      ctrl.abort();
    }, 300);
    const r = await searcher.search(job, { signal: ctrl.signal });
    const latency = performance.now() - abortedAt;
    expect(r.stopped).toBe('cancelled');
    expect(r.hashes).toBeGreaterThan(0);
    expect(latency).toBeLessThan((abortedAt - started) / 2);
  });

  it('runs concurrent searches one after another on the shared buffers', async () => {
    const [a, b] = BLOCK_VECTORS;
    const params = (v: typeof a) => ({
      header: v!.header.slice(0, 152) + '00000000',
      nonceStart: v!.nonce - 5,
      count: 10,
      bits: v!.bits,
    });
    const results = await Promise.all([
      searcher.search(parseSearchParams(params(a))),
      searcher.search(parseSearchParams(params(b))),
    ]);
    expect(results.map((r) => r.nonce)).toEqual([a!.nonce, b!.nonce]);
  });

  it('turns a lost device into GpuDeviceLostError, and powSearch falls back to the CPU', async () => {
    const device = await gpu!.newDevice();
    const doomed = await GpuPowSearcher.create(device);
    device.destroy();
    await device.lost;
    const v = BLOCK_VECTORS[0]!;
    const params = {
      header: v.header.slice(0, 152) + '00000000',
      nonceStart: v.nonce - 100,
      count: 200,
      bits: v.bits,
    };
    await expect(doomed.search(parseSearchParams(params))).rejects.toBeInstanceOf(GpuDeviceLostError);
    const lost: GpuDeviceLostError[] = [];
    const r = await powSearch(params, { gpu: doomed, onGpuLost: (e) => lost.push(e) });
    expect(r).toMatchObject({ found: true, nonce: v.nonce, hash: v.hash });
    expect(lost).toHaveLength(1);
    expect(lost[0]!.message).toMatch(/use the CPU path/);
  });

  it('self-test (what the Chromium e2e test calls with navigator.gpu) passes and measures', async () => {
    const compat = /OpenGL/.test(gpu!.name);
    const opts = compat ? { featureLevel: 'compatibility' } : {};
    const report = await powGpuSelfTest(gpu!.instance, {
      measureMs: 200,
      adapterOptions: opts as GPURequestAdapterOptions,
    });
    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(report.checks).toHaveLength(BLOCK_VECTORS.length + 1);
    expect(report.mhps).toBeGreaterThan(0);
  });
});

describe('GPU self-test without an adapter', () => {
  it('reports instead of throwing', async () => {
    expect(await powGpuSelfTest(undefined)).toMatchObject({
      adapter: null,
      ok: false,
      error: 'no WebGPU adapter',
    });
  });
});
