/**
 * A self-contained check of the GPU path on whatever adapter a context has: finds the real nonces
 * of the block-header vectors (nonce zeroed, 4,096-nonce windows), compares a random header's
 * answer with the CPU's, then measures MH/s for `pickBackend`. Call it from a page, the offscreen
 * document or a worker (`powGpuSelfTest(navigator.gpu)`), e.g. in the Chromium e2e tests, where
 * SwiftShader provides the adapter under --enable-unsafe-webgpu. Never throws: failures are in
 * the report.
 */
/// <reference types="@webgpu/types" />
import { bytesToHex, parseHeader, withNonce } from './header.ts';
import { parseSearchParams } from './job.ts';
import { searchCpu } from './search-cpu.ts';
import { GpuPowSearcher } from './search-gpu.ts';
import { BLOCK_VECTORS } from './vectors.ts';

export interface GpuSelfTestReport {
  /** vendor / device / description of the adapter, or null when there is none. */
  adapter: string | null;
  /** True when every check passed. */
  ok: boolean;
  checks: { name: string; pass: boolean; nonce: number | null; expected: number | null }[];
  /** Throughput over `measureMs` (no-hit target), or null when not measured. */
  mhps: number | null;
  error?: string;
}

export async function powGpuSelfTest(
  gpu: GPU | undefined,
  opts: { measureMs?: number; adapterOptions?: GPURequestAdapterOptions } = {},
): Promise<GpuSelfTestReport> {
  const report: GpuSelfTestReport = { adapter: null, ok: false, checks: [], mhps: null };
  let device: GPUDevice | null = null;
  try {
    const adapter = gpu ? await gpu.requestAdapter(opts.adapterOptions) : null;
    if (!adapter) return { ...report, error: 'no WebGPU adapter' };
    const { vendor, device: name, description } = adapter.info;
    report.adapter = [vendor, name, description].filter(Boolean).join(' / ');
    device = await adapter.requestDevice();
    const searcher = await GpuPowSearcher.create(device);
    for (const v of BLOCK_VECTORS) {
      const header = bytesToHex(withNonce(parseHeader(v.header), 0));
      const job = parseSearchParams({ header, nonceStart: v.nonce - 2048, count: 4096, bits: v.bits });
      const r = await searcher.search(job);
      report.checks.push({
        name: `block ${v.height}`,
        pass: r.nonce === v.nonce && r.hash === v.hash,
        nonce: r.nonce,
        expected: v.nonce,
      });
    }
    const random = parseSearchParams({
      header: 'c3'.repeat(80),
      nonceStart: 1000,
      count: 500_000,
      bits: 0x1f00ffff,
    });
    const [g, c] = [await searcher.search(random), searchCpu(random)];
    report.checks.push({
      name: 'random header vs CPU',
      pass: g.nonce === c.nonce && g.hash === c.hash,
      nonce: g.nonce,
      expected: c.nonce,
    });
    if ((opts.measureMs ?? 500) > 0) {
      const job = parseSearchParams({
        header: 'ab'.repeat(80),
        nonceStart: 0,
        count: 2 ** 32,
        target: '0'.repeat(63) + '1',
      });
      await searcher.search(job, { budgetMs: 200 });
      const t0 = performance.now();
      const r = await searcher.search(job, { budgetMs: opts.measureMs ?? 500 });
      report.mhps = r.hashes / ((performance.now() - t0) * 1e3);
    }
    searcher.destroy();
    report.ok = report.checks.every((c) => c.pass);
    return report;
  } catch (err) {
    return {
      ...report,
      ok: false,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    };
  } finally {
    device?.destroy();
  }
}
