/// <reference types="@webgpu/types" />
/**
 * The pow capsule in a real browser:
 *  - powBlocks: `pow.search` jobs through the JobEngine (CPU path, real pool Workers) on every real
 *    block header of BLOCK_VECTORS, nonce zeroed, over a 4,096-nonce window around the real nonce;
 *  - powGpu: powGpuSelfTest on this page's navigator.gpu (SwiftShader under --enable-unsafe-webgpu
 *    on a GPU-less machine): adapter, block-vector nonces found on the GPU, MH/s;
 *  - powCpuMhps: hashing throughput of one Worker and of one Worker per core (benchmarks).
 */
import {
  BLOCK_VECTORS,
  bytesToHex,
  parseHeader,
  powGpuSelfTest,
  withNonce,
  type GpuSelfTestReport,
} from '../capsules/pow/index.ts';
import { round } from './_stats.ts';
import type { SelfTestHost } from './host.ts';

const WINDOW = 4096;

export interface PowBlockResult {
  height: number;
  expectedNonce: number;
  expectedHash: string;
  nonceStart: number;
  count: number;
  status: string;
  found: boolean;
  nonce: number | null;
  hash: string | null;
  hashes: number;
  pass: boolean;
  worker: number;
  ms: number;
  error?: string;
}

export interface PowCpuMhps {
  path: 'wasm-simd' | 'scalar';
  perWorkerMhps: number;
  perWorkerSamples: number[];
  allWorkersMhps: number;
  allWorkersSamples: number[];
  workers: number;
}

interface SearchOutput {
  found: boolean;
  nonce: number | null;
  hash: string | null;
  hashes: number;
}

export async function powBlocks(host: SelfTestHost): Promise<PowBlockResult[]> {
  const { engine } = await host.engine();
  return Promise.all(
    BLOCK_VECTORS.map(async (v): Promise<PowBlockResult> => {
      const nonceStart = Math.max(0, v.nonce - WINDOW / 2);
      const header = bytesToHex(withNonce(parseHeader(v.header), 0));
      const out = await engine.submit({
        library: 'pow',
        method: 'search',
        params: JSON.stringify({ header, nonceStart, count: WINDOW, bits: v.bits }),
      });
      const base = {
        height: v.height,
        expectedNonce: v.nonce,
        expectedHash: v.hash,
        nonceStart,
        count: WINDOW,
        status: out.status,
        worker: out.worker,
        ms: round(out.ms),
      };
      if (out.status !== 'ok')
        return { ...base, found: false, nonce: null, hash: null, hashes: 0, pass: false, error: out.error };
      const r = JSON.parse(new TextDecoder().decode(out.output)) as SearchOutput;
      return { ...base, ...r, pass: r.found && r.nonce === v.nonce && r.hash === v.hash };
    }),
  );
}

export interface PowGpuResult extends GpuSelfTestReport {
  /** The adapter as WebGPU describes it (SwiftShader: vendor "google", architecture "swiftshader"). */
  adapterInfo: { vendor: string; architecture: string; device: string; description: string } | null;
}

export async function powGpu(measureMs = 500): Promise<PowGpuResult> {
  const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
  const info = adapter?.info;
  const adapterInfo = info
    ? {
        vendor: info.vendor,
        architecture: info.architecture,
        device: info.device,
        description: info.description,
      }
    : null;
  return { ...(await powGpuSelfTest(navigator.gpu, { measureMs })), adapterInfo };
}

/** Best of `rounds` samples of `ms`: other processes on a shared machine only ever slow one down. */
export async function powCpuMhps(
  host: SelfTestHost,
  opts: { ms?: number; rounds?: number; workers?: number } = {},
): Promise<PowCpuMhps> {
  const ms = opts.ms ?? 700;
  const rounds = opts.rounds ?? 5;
  const workers = opts.workers ?? Math.max(1, navigator.hardwareConcurrency || 1);
  const one = await host.withRoles('pow', 1, ([r]) =>
    r!.call('pow-mhps', { slice: 0, slices: 1, warmupMs: 500, ms, rounds }),
  );
  const all = await host.withRoles('pow', workers, async (roles) => {
    const totals: number[] = [];
    // Each round starts every worker together; the warm-up runs in the first call only.
    for (let i = 0; i < rounds; i++) {
      const rs = await Promise.all(
        roles.map((r, slice) =>
          r.call('pow-mhps', { slice, slices: workers, warmupMs: i === 0 ? 500 : 0, ms, rounds: 1 }),
        ),
      );
      totals.push(rs.reduce((s, r) => s + (r.samples[0] ?? 0), 0));
    }
    return totals;
  });
  return {
    path: one.path,
    perWorkerMhps: round(Math.max(...one.samples), 3),
    perWorkerSamples: one.samples.map((x) => round(x, 3)),
    allWorkersMhps: round(Math.max(...all), 3),
    allWorkersSamples: all.map((x) => round(x, 3)),
    workers,
  };
}
