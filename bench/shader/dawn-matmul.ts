/**
 * GFLOP/s of the shader capsule's matmul kernel on a GPUDevice (Dawn in Node here, a GPU machine via
 * bench/shader/gpu-entry.ts): the capsule's own runner (guards, validation, slicing, watchdog), best
 * of `rounds`. `job_ms` covers the whole job (compile, upload, run, read-back); `kernel_ms` only the
 * submissions. Also a plain JS f32 matmul of the same size on one CPU core, as the same-run reference.
 */
/// <reference types="@webgpu/types" />
import { compareShaderOutputs } from '../../src/capsules/shader/compare.ts';
import { matmulJob } from '../../src/capsules/shader/kernels.ts';
import { planPasses, reflectShader } from '../../src/capsules/shader/reflect.ts';
import { runOnDevice } from '../../src/capsules/shader/run-gpu.ts';

export interface MatmulRow {
  n: number;
  job_ms: number;
  kernel_ms: number;
  job_gflops: number;
  kernel_gflops: number;
  submissions: number;
  correct: boolean | 'unchecked';
}

export async function dawnMatmul(device: GPUDevice, n: number, rounds = 3): Promise<MatmulRow> {
  const check = n <= 512;
  const job = matmulJob(n, 3, check);
  const passes = planPasses(
    reflectShader(job.params.code),
    job.params.buffers,
    job.params.passes,
    device.limits,
  );
  let best = { job: Infinity, kernel: Infinity, submissions: 0 };
  let correct: boolean | 'unchecked' = 'unchecked';
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const r = await runOnDevice(device, job.params.code, {
      buffers: job.params.buffers,
      passes,
      input: job.input,
      loopSteps: job.params.loopSteps,
    });
    const ms = performance.now() - t0;
    if (ms < best.job) best = { job: ms, kernel: r.gpuMs, submissions: r.submissions };
    if (check && i === 0) correct = compareShaderOutputs(r.output, job.expected, job.params.output).agree;
  }
  return {
    n,
    job_ms: r1(best.job),
    kernel_ms: r1(best.kernel),
    job_gflops: r2(job.flops / best.job / 1e6),
    kernel_gflops: r2(job.flops / best.kernel / 1e6),
    submissions: best.submissions,
    correct,
  };
}

/** Best-of-3 GFLOP/s of an i-k-j f32 matmul in plain JS (one core). */
export function jsMatmulGflops(n: number): number {
  const a = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000);
  const b = new Float32Array(n * n).map((_, i) => ((i * 104729) % 1000) / 1000);
  let best = Infinity;
  for (let round = 0; round < (n >= 1024 ? 1 : 3); round++) {
    const c = new Float32Array(n * n);
    const t0 = performance.now();
    for (let i = 0; i < n; i++)
      for (let k = 0; k < n; k++) {
        const aik = a[i * n + k]!;
        const row = i * n;
        const brow = k * n;
        for (let j = 0; j < n; j++) c[row + j]! += aik * b[brow + j]!;
      }
    best = Math.min(best, performance.now() - t0);
  }
  return r2((2 * n * n * n) / best / 1e6);
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
