/**
 * GPU nonce search through WebGPU. Takes a `GPUDevice` (from `navigator.gpu` in the browser, or
 * Dawn's Node bindings in bench/), builds the pipeline once, then dispatches batches sized to
 * ~`batchMs` (default 40 ms, so cancellation or a budget acts within one batch, < 100 ms), each
 * read back through a storage buffer and `mapAsync`. Candidates are confirmed on the CPU with the
 * full 256-bit comparison; a false candidate (top word equal to the target's, lower words above)
 * re-runs the rest of that batch, so the answer is always the first valid nonce, as on the CPU.
 * A lost device rejects with `GpuDeviceLostError`: the caller falls back to the CPU path.
 */
/// <reference types="@webgpu/types" />
import { HeaderHasher, digestDisplayHex } from './dsha256.ts';
import { noncePlan } from './dsha256-simd.ts';
import { evaluateUniforms, kernelParams } from './_plan.ts';
import type { PowSearchJob, PowSearchResult, StopReason } from './job.ts';
import { buildPowShader, DEFAULT_SHADER_OPTIONS, paramsByteSize, type ShaderOptions } from './shader.wgsl.ts';
import { digestMeetsTarget } from './target.ts';

export class GpuDeviceLostError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`GPU device lost (${reason}): ${message}; use the CPU path`, options);
    this.name = 'GpuDeviceLostError';
  }
}

export interface GpuSearchOptions {
  signal?: AbortSignal;
  shouldStop?: () => boolean;
  budgetMs?: number;
  now?: () => number;
}

export interface GpuSearcherOptions extends Partial<ShaderOptions> {
  /** Target wall time of one batch. Default 40 ms. */
  batchMs?: number;
  /** Nonces in the first batch, before the size adapts. Default 2^16 (~10–60 ms on SwiftShader). */
  firstBatch?: number;
}

/**
 * WebGPU flag values (spec §5.1 GPUBufferUsage, §5.3 GPUMapMode), spelled out so this file also
 * runs where the `GPUBufferUsage` globals are not installed (Dawn's Node bindings export them).
 */
const USAGE = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;
const MAP_READ = 0x0001;

/** Largest batch: keeps invocation indices × nonces per invocation far below 2^32. */
const MAX_BATCH = 2 ** 30;
const MAX_WORKGROUPS_X = 65535;

export class GpuPowSearcher {
  private lostInfo: GPUDeviceLostInfo | null = null;
  private readonly lostPromise: Promise<never>;
  private batch: number;
  /** Searches share the buffers, so they run one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly npi: number;
  private readonly wg: number;

  private constructor(
    readonly device: GPUDevice,
    private readonly pipeline: GPUComputePipeline,
    private readonly paramsBuf: GPUBuffer,
    private readonly resultBuf: GPUBuffer,
    private readonly readBuf: GPUBuffer,
    private readonly bindGroup: GPUBindGroup,
    shader: ShaderOptions,
    private readonly batchMs: number,
    firstBatch: number,
  ) {
    this.npi = shader.noncesPerInvocation;
    this.wg = shader.workgroupSize;
    this.batch = firstBatch;
    this.lostPromise = device.lost.then((info) => {
      this.lostInfo = info;
      throw new GpuDeviceLostError(info.reason, info.message);
    });
    this.lostPromise.catch(() => undefined);
  }

  /** Compiles the shader and allocates the buffers (once per device). */
  static async create(device: GPUDevice, opts: GpuSearcherOptions = {}): Promise<GpuPowSearcher> {
    const plan = noncePlan();
    const limit = Math.min(
      device.limits.maxComputeInvocationsPerWorkgroup,
      device.limits.maxComputeWorkgroupSizeX,
    );
    const shader: ShaderOptions = {
      workgroupSize: Math.min(opts.workgroupSize ?? DEFAULT_SHADER_OPTIONS.workgroupSize, limit),
      noncesPerInvocation: opts.noncesPerInvocation ?? DEFAULT_SHADER_OPTIONS.noncesPerInvocation,
    };
    const module = device.createShaderModule({ code: buildPowShader(plan, shader), label: 'pow dsha256' });
    const pipeline = await device.createComputePipelineAsync({
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
      label: 'pow',
    });
    const paramsBuf = device.createBuffer({
      size: paramsByteSize(plan),
      usage: USAGE.UNIFORM | USAGE.COPY_DST,
    });
    const resultBuf = device.createBuffer({
      size: 8,
      usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST,
    });
    const readBuf = device.createBuffer({ size: 8, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: paramsBuf } },
        { binding: 1, resource: { buffer: resultBuf } },
      ],
    });
    return new GpuPowSearcher(
      device,
      pipeline,
      paramsBuf,
      resultBuf,
      readBuf,
      bindGroup,
      shader,
      opts.batchMs ?? 40,
      opts.firstBatch ?? 2 ** 16,
    );
  }

  /** Nonces per batch right now (adapts towards `batchMs`). */
  get batchSize(): number {
    return this.batch;
  }

  /** Searches `job`'s range for its first nonce meeting the target. */
  search(job: PowSearchJob, opts: GpuSearchOptions = {}): Promise<PowSearchResult> {
    const run = this.queue.then(() => this.searchNow(job, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async searchNow(job: PowSearchJob, opts: GpuSearchOptions): Promise<PowSearchResult> {
    const now = opts.now ?? (() => performance.now());
    const deadline = opts.budgetMs === undefined ? Infinity : now() + opts.budgetMs;
    const hasher = new HeaderHasher(job.header);
    const plan = noncePlan();
    const kp = kernelParams(plan, evaluateUniforms(plan, hasher.mid, hasher.words));
    const params = new Uint32Array(paramsByteSize(plan) / 4);
    params[2] = job.targetWords[0]!;
    params.set(kp, 4);
    let pos = job.nonceStart;
    const end = job.nonceStart + job.count;
    let hashes = 0;
    const stopped = (): StopReason | null =>
      opts.signal?.aborted || opts.shouldStop?.() ? 'cancelled' : now() >= deadline ? 'budget' : null;
    while (pos < end) {
      this.throwIfLost();
      const why = stopped();
      if (why) return { found: false, nonce: null, hash: null, hashes, stopped: why };
      const n = Math.min(this.batch, end - pos);
      const t0 = now();
      const [hits, minNonce] = await this.dispatch(params, pos, n);
      const dt = now() - t0;
      if (hits > 0) {
        const digest = hasher.hashNonce(minNonce);
        if (digestMeetsTarget(digest, job.targetWords)) {
          hashes += minNonce - pos + 1;
          return { found: true, nonce: minNonce, hash: digestDisplayHex(digest), hashes, stopped: null };
        }
        // A false candidate (≤ 2^-32 per nonce): resume right after it.
        hashes += minNonce - pos + 1;
        pos = minNonce + 1;
        continue;
      }
      hashes += n;
      pos += n;
      if (n === this.batch) this.batch = this.nextBatch(dt);
    }
    return { found: false, nonce: null, hash: null, hashes, stopped: null };
  }

  /** One dispatch over [base, base + count): resolves to [hits, min candidate nonce]. */
  async dispatch(params: Uint32Array<ArrayBuffer>, base: number, count: number): Promise<[number, number]> {
    const { device } = this;
    params[0] = base;
    params[1] = count;
    device.queue.writeBuffer(this.paramsBuf, 0, params);
    device.queue.writeBuffer(this.resultBuf, 0, Uint32Array.of(0, 0xffffffff));
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    const groups = Math.ceil(Math.ceil(count / this.npi) / this.wg);
    const x = Math.min(groups, MAX_WORKGROUPS_X);
    pass.dispatchWorkgroups(x, Math.ceil(groups / x));
    pass.end();
    enc.copyBufferToBuffer(this.resultBuf, 0, this.readBuf, 0, 8);
    device.queue.submit([enc.finish()]);
    try {
      await Promise.race([this.readBuf.mapAsync(MAP_READ), this.lostPromise]);
    } catch (err) {
      this.throwIfLost(err);
      throw err;
    }
    const out = new Uint32Array(this.readBuf.getMappedRange().slice(0));
    this.readBuf.unmap();
    return [out[0]!, out[1]!];
  }

  /** Frees the buffers; the device stays the caller's. */
  destroy(): void {
    this.paramsBuf.destroy();
    this.resultBuf.destroy();
    this.readBuf.destroy();
  }

  private nextBatch(dt: number): number {
    const scale = dt > 0 ? this.batchMs / dt : 4;
    const next = Math.round(this.batch * Math.min(4, Math.max(0.25, scale)));
    // Whole workgroups' worth of nonces, so no invocation idles in the last group.
    const unit = this.npi * this.wg;
    return Math.min(MAX_BATCH, Math.max(unit, Math.round(next / unit) * unit));
  }

  private throwIfLost(cause?: unknown): void {
    if (this.lostInfo) throw new GpuDeviceLostError(this.lostInfo.reason, this.lostInfo.message, { cause });
  }
}

/** A device for the GPU path, or null where WebGPU or an adapter is missing (use the CPU then). */
export async function requestPowDevice(
  gpu: GPU | undefined,
  options?: GPURequestAdapterOptions,
): Promise<GPUDevice | null> {
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter(options);
  if (!adapter) return null;
  return adapter.requestDevice();
}

/**
 * Picks the backend: the GPU only when there is one and it measured faster than all CPU workers
 * together (software adapters such as SwiftShader usually are not).
 */
export function pickBackend(cpuMhpsAllWorkers: number, gpuMhps: number | null): 'gpu' | 'cpu' {
  return gpuMhps !== null && gpuMhps > cpuMhpsAllWorkers ? 'gpu' : 'cpu';
}
