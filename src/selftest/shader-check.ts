/**
 * shaderJobs: the shader capsule's known-answer kernels and hostile cases as `shader.execute` jobs
 * through the page's JobEngine (real pool Workers, WebGPU in the Worker: SwiftShader under
 * --enable-unsafe-webgpu), with the GPU allowed for the duration. shaderMatmul: one timed matmul job
 * for the benchmark (GFLOP/s over the job's round trip, upload and read-back included).
 */
import { compareShaderOutputs, matmulJob, prefixSumJob, vectorAddJob } from '../capsules/shader/index.ts';
import type { KernelJob } from '../capsules/shader/kernels.ts';
import { POOL_WORKERS, type SelfTestHost } from './host.ts';

export interface ShaderJobResult {
  name: string;
  status: string;
  /** Known-answer jobs: output agrees with the CPU reference. Hostile jobs: failed with the expected message. */
  pass: boolean;
  error?: string;
  maxAbsDiff?: number;
  /** Where a known-answer output first differs, with the words there (got, expected). */
  mismatch?: { index: number; got: number; expected: number };
}

const HOSTILE = [
  {
    name: 'endless loop',
    expect: /loop ran more than loopSteps/,
    params: {
      code: `@group(0) @binding(0) var<storage, read_write> x: array<atomic<u32>>;
@compute @workgroup_size(64) fn main() { loop { if (atomicAdd(&x[0], 1u) == 0xffffffffu && atomicLoad(&x[1]) == 7u) { break; } } }`,
      buffers: [{ binding: 0, size: 8 }],
      passes: [{ dispatch: [16] }],
      loopSteps: 4096,
    },
  },
  {
    name: 'invalid code',
    expect: /does not compile: 2:/,
    params: {
      code: `@group(0) @binding(0) var<storage, read_write> x: array<u32>;
@compute @workgroup_size(1) fn main() { x[0] = 1.5; }`,
      buffers: [{ binding: 0, size: 4 }],
      passes: [{ dispatch: [1] }],
    },
  },
  {
    name: 'huge dispatch',
    expect: /workgroups per dimension|invocations; at most/,
    params: { ...vectorAddJob(64).params, passes: [{ entryPoint: 'main', dispatch: [65535, 65535, 64] }] },
    input: vectorAddJob(64).input,
  },
] as const;

async function withGpu<T>(host: SelfTestHost, f: () => Promise<T>): Promise<T> {
  const { pool } = await host.engine();
  pool.setThrottle(POOL_WORKERS, 100, true);
  try {
    return await f();
  } finally {
    pool.setThrottle(POOL_WORKERS, 100, false);
  }
}

async function runKernel(host: SelfTestHost, job: KernelJob): Promise<ShaderJobResult> {
  const { engine } = await host.engine();
  const out = await engine.submit({
    library: 'shader',
    method: 'execute',
    params: JSON.stringify(job.params),
    input: job.input,
  });
  if (out.status !== 'ok') return { name: job.name, status: out.status, pass: false, error: out.error };
  const v = compareShaderOutputs(out.output, job.expected, job.params.output);
  const word = (b: Uint8Array, i: number) => new DataView(b.buffer, b.byteOffset).getUint32(i * 4, true);
  const at = v.firstMismatch;
  const mismatch =
    at < 0 || at * 4 + 4 > Math.min(out.output.length, job.expected.length)
      ? undefined
      : { index: at, got: word(out.output, at), expected: word(job.expected, at) };
  return { name: job.name, status: out.status, pass: v.agree, maxAbsDiff: v.maxAbsDiff, mismatch };
}

export function shaderJobs(host: SelfTestHost): Promise<ShaderJobResult[]> {
  return withGpu(host, async () => {
    const { engine } = await host.engine();
    const results: ShaderJobResult[] = [];
    for (const job of [vectorAddJob(4096), prefixSumJob(10_000), matmulJob(64)])
      results.push(await runKernel(host, job));
    for (const h of HOSTILE) {
      const out = await engine.submit({
        library: 'shader',
        method: 'execute',
        params: JSON.stringify(h.params),
        input: 'input' in h ? h.input : new Uint8Array(0),
      });
      const pass = out.status === 'badInput' && h.expect.test(out.error ?? '');
      results.push({ name: h.name, status: out.status, pass, error: out.error });
      // The worker and its device recover: the next known-answer job is right.
      results.push({ ...(await runKernel(host, vectorAddJob(512, 7))), name: `vector add after ${h.name}` });
    }
    return results;
  });
}

export interface ShaderMatmulResult {
  n: number;
  ms: number;
  gflops: number;
  pass: boolean;
  status: string;
  error?: string;
}

/** Best of `rounds` matmul jobs of size n (the CPU reference only for n ≤ 512, to check it). */
export function shaderMatmul(host: SelfTestHost, n: number, rounds = 3): Promise<ShaderMatmulResult> {
  return withGpu(host, async () => {
    const { engine } = await host.engine();
    const job = matmulJob(n, 3, n <= 512);
    let best = Infinity;
    let last: Awaited<ReturnType<typeof engine.submit>> | null = null;
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      last = await engine.submit({
        library: 'shader',
        method: 'execute',
        params: JSON.stringify(job.params),
        input: job.input,
      });
      if (last.status !== 'ok') break;
      best = Math.min(best, performance.now() - t0);
    }
    const status = last?.status ?? 'internalError';
    const pass =
      status === 'ok' &&
      (n > 512 || compareShaderOutputs(last!.output, job.expected, job.params.output).agree);
    return { n, ms: best, gflops: job.flops / best / 1e6, pass, status, error: last?.error };
  });
}
